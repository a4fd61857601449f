using Cohort.Coordination;
using Cohort.Engines;
using Cohort.Protocol;
using Cohort.Storage.Wal;

namespace Cohort.Tests.Coordination;

/// <summary>The participant side: epoch fencing, duplicate and lost operations, idempotent one-phase commit, termination.</summary>
public sealed class ParticipantHostTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly StubDecisionSource _decisions = new();
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
            new ParticipantHostOptions { NodeId = "n1", TerminationInterval = Timeout.InfiniteTimeSpan, TerminationAttempts = 3, TerminationDelay = TimeSpan.FromTicks(1) },
            _decisions,
            _time);
        host.AddEngine(EngineFactory.Open("queue:q", new EngineOptions
        {
            DataDirectory = Path.Combine(_directory.Path, "queue"),
            Durability = DurabilityMode.None,
            MaintenanceInterval = Timeout.InfiniteTimeSpan,
            TimeProvider = _time,
        }));
        return host;
    }

    private async Task RestartAsync()
    {
        await _host.DisposeAsync();
        _host = OpenHost();
    }

    private DateTimeOffset Deadline => _time.GetUtcNow() + TimeSpan.FromSeconds(10);

    private ApplyRequest Enqueue(TxId tx, int sequence, long epoch = 1, string queue = "q") =>
        new(tx, epoch, Deadline, "queue:q", Ops.Enqueue(queue, sequence), sequence);

    private async Task<long> SizeAsync(string queue = "q")
    {
        var engine = _host.GetEngine("queue:q")!;
        return (await engine.ReadAsync(engine.Clock.Now(), Ops.Size(queue), default)).AsInt64();
    }

    [Fact]
    public async Task Apply_AnswersWhetherTheTransactionWroteThere()
    {
        var tx = TxId.NewId();
        var peek = await _host.ApplyAsync(new ApplyRequest(tx, 1, Deadline, "queue:q", Ops.Peek("q"), 1), default);
        Assert.False(peek.Wrote);
        Assert.True(peek.Result.IsNull);

        var size = await _host.ApplyAsync(new ApplyRequest(tx, 1, Deadline, "queue:q", Ops.Size("q"), 2), default);
        Assert.False(size.Wrote);
        Assert.Equal(0L, size.Result.AsInt64());

        var enqueue = await _host.ApplyAsync(new ApplyRequest(tx, 1, Deadline, "queue:q", Ops.Enqueue("q", 7), 3), default);
        Assert.True(enqueue.Wrote);

        // Once written, a later read still reports the transaction as a writer there.
        var again = await _host.ApplyAsync(new ApplyRequest(tx, 1, Deadline, "queue:q", Ops.Size("q"), 4), default);
        Assert.True(again.Wrote);
        Assert.Equal(1L, again.Result.AsInt64());

        var vote = await _host.PrepareAsync(new PrepareRequest(tx, 1, Deadline, "queue:q", "c", 4), default);
        Assert.Equal(VoteKind.Yes, vote.Kind);
    }

    [Fact]
    public async Task Apply_OnlyReading_AnswersNotWritten_AndPrepareVotesReadOnly()
    {
        var tx = TxId.NewId();
        var size = await _host.ApplyAsync(new ApplyRequest(tx, 1, Deadline, "queue:q", Ops.Size("q"), 1), default);
        Assert.False(size.Wrote);

        var vote = await _host.PrepareAsync(new PrepareRequest(tx, 1, Deadline, "queue:q", "c", 1), default);
        Assert.Equal(VoteKind.ReadOnly, vote.Kind);
    }

    [Fact]
    public async Task Apply_WithAnEpochOlderThanOneSeen_IsRefused_ButCommitAndAbortAreNot()
    {
        var young = TxId.NewId();
        await _host.ApplyAsync(Enqueue(young, 1, epoch: 2), default);
        Assert.Equal(2, _host.NewestEpoch);

        var stale = await Assert.ThrowsAsync<CohortException>(async () => await _host.ApplyAsync(Enqueue(TxId.NewId(), 1, epoch: 1), default));
        Assert.Equal(ErrorCodes.StaleEpoch, stale.Code);
        var stalePrepare = await Assert.ThrowsAsync<CohortException>(async () => await _host.PrepareAsync(new PrepareRequest(young, 1, Deadline, "queue:q", "c", 1), default));
        Assert.Equal(ErrorCodes.StaleEpoch, stalePrepare.Code);

        var vote = await _host.PrepareAsync(new PrepareRequest(young, 2, Deadline, "queue:q", "c", 1), default);
        Assert.Equal(VoteKind.Yes, vote.Kind);
        await _host.CommitAsync(new CommitRequest(young, 1, "queue:q", vote.PrepareTimestamp, [new Participant("queue:q", "n1")]), default);
        Assert.Equal(1L, await SizeAsync());
    }

    [Fact]
    public async Task Apply_DuplicatedMessage_IsRefusedAndRunsOnce()
    {
        var tx = TxId.NewId();
        await _host.ApplyAsync(Enqueue(tx, 1), default);
        var duplicate = await Assert.ThrowsAsync<CohortException>(async () => await _host.ApplyAsync(Enqueue(tx, 1), default));
        Assert.Equal(ErrorCodes.OutOfOrder, duplicate.Code);

        await _host.CommitOnePhaseAsync(new OnePhaseCommitRequest(tx, 1, "queue:q", default, OperationCount: 1), default);
        Assert.Equal(1L, await SizeAsync());
    }

    [Fact]
    public async Task Prepare_AfterARestartLostEarlierOperations_VotesNoAndNothingCommits()
    {
        var tx = TxId.NewId();
        await _host.ApplyAsync(Enqueue(tx, 1), default);
        await _host.ApplyAsync(Enqueue(tx, 2), default);
        await RestartAsync();

        // Late copies of the two operations arrive after the restart: the second alone is refused, the first starts afresh.
        var orphan = await Assert.ThrowsAsync<CohortException>(async () => await _host.ApplyAsync(Enqueue(tx, 2), default));
        Assert.Equal(ErrorCodes.UnknownTransaction, orphan.Code);
        await _host.ApplyAsync(Enqueue(tx, 1), default);

        var vote = await _host.PrepareAsync(new PrepareRequest(tx, 1, Deadline, "queue:q", "c", OperationCount: 2), default);
        Assert.Equal(VoteKind.No, vote.Kind);
        var onePhase = await Assert.ThrowsAsync<CohortException>(async () => await _host.CommitOnePhaseAsync(new OnePhaseCommitRequest(tx, 1, "queue:q", default, OperationCount: 2), default));
        Assert.Equal(ErrorCodes.Aborted, onePhase.Code);
        Assert.Equal(0L, await SizeAsync());
    }

    [Fact]
    public async Task OnePhaseCommit_RepeatedAfterItCommitted_ReportsSuccessNotAbort()
    {
        var tx = TxId.NewId();
        await _host.ApplyAsync(Enqueue(tx, 1), default);
        var request = new OnePhaseCommitRequest(tx, 1, "queue:q", default, OperationCount: 1);
        await _host.CommitOnePhaseAsync(request, default);
        await _host.CommitOnePhaseAsync(request, default);
        await RestartAsync();
        await _host.CommitOnePhaseAsync(request, default);
        Assert.Equal(1L, await SizeAsync());
    }

    [Fact]
    public async Task OnePhaseCommit_OfWorkLostInARestart_FailsAsNotCommitted()
    {
        var tx = TxId.NewId();
        await _host.ApplyAsync(Enqueue(tx, 1), default);
        await RestartAsync();
        var error = await Assert.ThrowsAsync<CohortException>(async () => await _host.CommitOnePhaseAsync(new OnePhaseCommitRequest(tx, 1, "queue:q", default, 1), default));
        Assert.Contains(error.Code, new[] { ErrorCodes.Aborted, ErrorCodes.UnknownTransaction });
        Assert.Equal(0L, await SizeAsync());
    }

    [Fact]
    public async Task Batch_DuplicatedMessage_GetsTheFirstAnswerAndRunsOnce()
    {
        var tx = TxId.NewId();
        var request = new BatchPrepareRequest(tx, 1, Deadline, "queue:q", [Ops.Enqueue("q", 1L), Ops.Enqueue("q", 2L)], "c", CommitOnePhase: true);
        var first = await _host.ApplyAndPrepareAsync(request, default);
        var second = await _host.ApplyAndPrepareAsync(request, default);

        Assert.Equal(VoteKind.Yes, first.Vote.Kind);
        Assert.Same(first, second);
        Assert.Equal(2L, await SizeAsync());
    }

    [Fact]
    public async Task Termination_PreparedPastItsDeadline_AsksTheCoordinatorAndCommits()
    {
        var tx = TxId.NewId();
        await _host.ApplyAsync(Enqueue(tx, 1), default);
        var vote = await _host.PrepareAsync(new PrepareRequest(tx, 1, _time.GetUtcNow() + TimeSpan.FromSeconds(5), "queue:q", "leader-1", 1), default);
        Assert.Equal(VoteKind.Yes, vote.Kind);
        _decisions.Answer = _ => DecisionAnswer.Committed(vote.PrepareTimestamp);

        Assert.Equal(0, await _host.ResolvePreparedAsync(all: false, default));
        Assert.Equal(0, _decisions.Queries);

        _time.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(1, await _host.ResolvePreparedAsync(all: false, default));
        Assert.Equal("leader-1", _decisions.LastCoordinator);
        Assert.Empty(_host.GetEngine("queue:q")!.GetPrepared());
        Assert.Equal(1L, await SizeAsync());
    }

    [Fact]
    public async Task Termination_AfterRestart_AppliesPresumedAbort_AndRetriesWhilePending()
    {
        var tx = TxId.NewId();
        await _host.ApplyAsync(Enqueue(tx, 1), default);
        Assert.Equal(VoteKind.Yes, (await _host.PrepareAsync(new PrepareRequest(tx, 1, Deadline, "queue:q", "c", 1), default)).Kind);
        await RestartAsync();
        Assert.Single(_host.GetEngine("queue:q")!.GetPrepared());

        // The deadline is not known after a restart, so the host asks at once; "pending" is retried, never guessed.
        _decisions.Answer = _ => DecisionAnswer.Pending;
        Assert.Equal(0, await _host.ResolvePreparedAsync(all: false, default));
        Assert.Equal(3, _decisions.Queries);
        Assert.Single(_host.GetEngine("queue:q")!.GetPrepared());

        _decisions.Answer = _ => DecisionAnswer.Aborted;
        Assert.Equal(1, await _host.ResolvePreparedAsync(all: false, default));
        Assert.Empty(_host.GetEngine("queue:q")!.GetPrepared());
        Assert.Equal(0L, await SizeAsync());
    }

    private sealed class StubDecisionSource : IDecisionSource
    {
        public Func<TxId, DecisionAnswer> Answer { get; set; } = _ => DecisionAnswer.Pending;

        public int Queries { get; private set; }

        public string? LastCoordinator { get; private set; }

        public ValueTask<DecisionAnswer> QueryDecisionAsync(string? coordinator, TxId txId, CancellationToken cancellationToken)
        {
            Queries++;
            LastCoordinator = coordinator;
            return ValueTask.FromResult(Answer(txId));
        }
    }
}
