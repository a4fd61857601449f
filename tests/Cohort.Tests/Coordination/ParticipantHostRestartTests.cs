using System.Collections.Immutable;
using Cohort.Coordination;
using Cohort.Engines;
using Cohort.Protocol;
using Cohort.Storage.Wal;

namespace Cohort.Tests.Coordination;

/// <summary>
/// Regression tests for a bug the deterministic simulation found (seed 8683): after a participant restarted, a late
/// message for a transaction it had prepared before the restart aborted the transaction recovery had brought back
/// prepared (the host's memory of what it prepared was gone), so the coordinator's commit was refused there and the
/// commit was split across participants. Only the coordinator's decision may end a prepared transaction.
/// </summary>
public sealed class ParticipantHostRestartTests : IAsyncLifetime
{
    private const string Resource = "kv:a";

    private readonly TempDirectory _directory = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private ParticipantHost _host = null!;

    public Task InitializeAsync()
    {
        _host = OpenHost();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _directory.Dispose();
    }

    private ParticipantHost OpenHost()
    {
        var host = new ParticipantHost(
            new ParticipantHostOptions { NodeId = "n1", TerminationInterval = Timeout.InfiniteTimeSpan, TerminationAttempts = 1, TerminationDelay = TimeSpan.FromTicks(1) },
            new PendingDecisions(),
            _time);
        host.AddEngine(EngineFactory.Open(Resource, new EngineOptions
        {
            DataDirectory = Path.Combine(_directory.Path, "a"),
            Durability = DurabilityMode.None,
            MaintenanceInterval = Timeout.InfiniteTimeSpan,
            TimeProvider = _time,
        }));
        return host;
    }

    // A restart: the host and its engine are disposed (their files stay), and a new engine recovers from the same directory.
    private async Task RestartAsync()
    {
        await _host.DisposeAsync();
        _host = OpenHost();
    }

    private ITransactionalEngine Engine => _host.GetEngine(Resource)!;

    private DateTimeOffset Deadline => _time.GetUtcNow() + TimeSpan.FromSeconds(10);

    private static BatchPrepareRequest Batch(TxId tx, DateTimeOffset deadline) =>
        new(tx, Epoch: 1, deadline, Resource, [Ops.Put("k", Value.From("v"))], Coordinator: "c", CommitOnePhase: false);

    // Prepares a put of k = v in a batch before a restart; after it, recovery holds the transaction prepared.
    private async Task<(TxId Tx, BatchPrepareRequest Request, HlcTimestamp PreparedAt)> PrepareThenRestartAsync()
    {
        var tx = TxId.NewId();
        var request = Batch(tx, Deadline);
        var prepared = await _host.ApplyAndPrepareAsync(request, default);
        Assert.Equal(VoteKind.Yes, prepared.Vote.Kind);

        await RestartAsync();
        Assert.Contains(Engine.GetPrepared(), p => p.Id == tx);
        return (tx, request, prepared.Vote.PrepareTimestamp);
    }

    private async Task CommitAndReadBackAsync(TxId tx, HlcTimestamp preparedAt)
    {
        Assert.Contains(Engine.GetPrepared(), p => p.Id == tx);
        await _host.CommitAsync(new CommitRequest(tx, 1, Resource, preparedAt, ImmutableArray.Create(new Participant(Resource, "n1"))), default);
        Assert.DoesNotContain(Engine.GetPrepared(), p => p.Id == tx);
        Assert.Equal("v", (await Engine.ReadAsync(Engine.Clock.Now(), Ops.Get("k"), default)).AsString());
    }

    [Fact]
    public async Task Batch_DuplicateArrivingAfterRestart_DoesNotAbortTheRecoveredPreparedTransaction()
    {
        var (tx, request, preparedAt) = await PrepareThenRestartAsync();

        // A late copy of the same batch, still within its deadline: it must not run again nor abort what recovery holds.
        var duplicate = await _host.ApplyAndPrepareAsync(request, default);
        Assert.NotEqual(VoteKind.Yes, duplicate.Vote.Kind);
        Assert.Empty(duplicate.Results);
        Assert.Contains(Engine.GetPrepared(), p => p.Id == tx);

        await CommitAndReadBackAsync(tx, preparedAt);
    }

    [Fact]
    public async Task Apply_LateOperationAfterRestart_DoesNotAbortTheRecoveredPreparedTransaction()
    {
        var (tx, _, preparedAt) = await PrepareThenRestartAsync();

        // A late single operation of the transaction, past its deadline: refused as expired, and nothing aborted.
        var late = new ApplyRequest(tx, 1, _time.GetUtcNow() - TimeSpan.FromSeconds(1), Resource, Ops.Put("k", Value.From("late")), Sequence: 1);
        var error = await Assert.ThrowsAsync<CohortException>(async () => await _host.ApplyAsync(late, default));
        Assert.Equal(ErrorCodes.Expired, error.Code);
        Assert.Contains(Engine.GetPrepared(), p => p.Id == tx);

        await CommitAndReadBackAsync(tx, preparedAt);
    }

    private sealed class PendingDecisions : IDecisionSource
    {
        public ValueTask<DecisionAnswer> QueryDecisionAsync(string? coordinator, TxId txId, CancellationToken cancellationToken) =>
            ValueTask.FromResult(DecisionAnswer.Pending);
    }
}
