using Cohort.Coordination;
using Cohort.Protocol;

namespace Cohort.Tests.Coordination;

/// <summary>
/// Commit timestamps follow the dependency order (issue 16): a transaction T1 that read a key before T2 overwrote it
/// must commit below T2, even when T1's read-only participant voted long before T1's writers did. Otherwise a snapshot
/// between the two shows T2 without T1 — a state no serial order explains.
/// </summary>
/// <remarks>
/// n1 hosts kv:users (T1 only reads there), n2 queue:events and n3 resource:points (T1 writes there). One message of
/// T1's commit is held (the slow node); meanwhile T2 overwrites the key T1 read, committing in one phase. Before the
/// fix, n1 released T1's shared lock at its read-only vote, T2 committed at once, and T1 then committed above it.
/// </remarks>
public sealed class CommitOrderTests
{
    public enum Path
    {
        /// <summary>Two writers: parallel prepare, n3's prepare held.</summary>
        TwoPhase,

        /// <summary>One writer (n2): the reader votes first, the writer's one-phase commit held.</summary>
        OneWriter,

        /// <summary>A batch: operations and prepare in one message each, n3's held.</summary>
        Batch,
    }

    [Theory]
    [InlineData(Path.TwoPhase)]
    [InlineData(Path.OneWriter)]
    [InlineData(Path.Batch)]
    public async Task ReaderOfAKey_CommitsBelowTheWriterThatOverwroteIt_AndSnapshotsNeverShowTheWriterAlone(Path path)
    {
        var hold = new HoldingTransport(path == Path.OneWriter ? "commit1pc" : path == Path.Batch ? "batch" : "prepare", path == Path.OneWriter ? "queue:events" : "resource:points");
        await using var cluster = new CoordinationCluster(wrap: inner => hold.Wrap(inner));
        await cluster.Coordinator.RecoverAsync();
        await cluster.InitializePointsAsync(100);
        var c = cluster.Coordinator;
        Assert.True((await c.ExecuteBatchAsync([new BatchOperation("kv:users", Ops.Put("a", "old"))])).Outcome.IsCommitted);

        // T1: reads a on n1, writes on n2 (and n3).
        hold.Armed = true;
        Task<TxOutcome> t1Commit;
        if (path == Path.Batch)
        {
            t1Commit = Task.Run(async () => (await c.ExecuteBatchAsync(
            [
                new BatchOperation("kv:users", Ops.Get("a")),
                new BatchOperation("queue:events", Ops.Enqueue("log", "t1")),
                new BatchOperation("resource:points", Ops.Transfer("system", "t1", "1")),
            ])).Outcome);
        }
        else
        {
            var t1 = c.Begin(TimeSpan.FromSeconds(30), "t1");
            Assert.Equal("old", (await c.ApplyAsync(t1.TxId, "kv:users", Ops.Get("a"))).AsString());
            await c.ApplyAsync(t1.TxId, "queue:events", Ops.Enqueue("log", "t1"));
            if (path == Path.TwoPhase)
            {
                await c.ApplyAsync(t1.TxId, "resource:points", Ops.Transfer("system", "t1", "1"));
            }

            t1Commit = c.CommitAsync(t1.TxId).AsTask();
        }

        await hold.Reached.WaitAsync(TimeSpan.FromSeconds(10));

        // T2 overwrites a while T1's slow message is held. It must wait for T1 (the shared lock is kept); on the old code
        // it committed at once. The wait is bounded either way.
        var t2Commit = Task.Run(async () => await c.ExecuteBatchAsync([new BatchOperation("kv:users", Ops.Put("a", "new"))]));
        await Task.WhenAny(t2Commit, Task.Delay(TimeSpan.FromMilliseconds(300)));
        var t2WaitedForT1 = !t2Commit.IsCompleted;
        hold.Release();

        var t1Outcome = await t1Commit.WaitAsync(TimeSpan.FromSeconds(10));
        var t2 = await t2Commit.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(t2WaitedForT1, "T2 committed while T1, which read a, had not: the reader released its lock at its vote");
        Assert.True(t1Outcome.IsCommitted, t1Outcome.ToString());
        Assert.True(t2.Outcome.IsCommitted, t2.Outcome.ToString());
        Assert.True(t1Outcome.CommitTimestamp.Value > 0);
        Assert.True(t2.Outcome.CommitTimestamp.Value > 0);
        Assert.True(
            t1Outcome.CommitTimestamp < t2.Outcome.CommitTimestamp,
            $"T1 read a before T2 overwrote it, so T1 must commit below T2: T1 at {t1Outcome.CommitTimestamp}, T2 at {t2.Outcome.CommitTimestamp}");

        // A snapshot at T2's commit shows T1's writes; one just below T1's shows neither.
        var queue = cluster.Engine("queue:events");
        var kv = cluster.Engine("kv:users");
        Assert.Equal("new", (await kv.ReadAsync(t2.Outcome.CommitTimestamp, Ops.Get("a"), default)).AsString());
        Assert.Equal(1L, (await queue.ReadAsync(t2.Outcome.CommitTimestamp, Ops.Size("log"), default)).AsInt64());
        var below = new HlcTimestamp(t1Outcome.CommitTimestamp.Value - 1);
        Assert.Equal("old", (await kv.ReadAsync(below, Ops.Get("a"), default)).AsString());
        Assert.Equal(0L, (await queue.ReadAsync(below, Ops.Size("log"), default)).AsInt64());
    }

    [Fact]
    public async Task ReadOnlyParticipantOfAWritingTransaction_KeepsItsLocksUntilTheOutcome_ThenReleasesThem()
    {
        var hold = new HoldingTransport("commit", "kv:users");
        await using var cluster = new CoordinationCluster(wrap: inner => hold.Wrap(inner));
        await cluster.Coordinator.RecoverAsync();
        await cluster.InitializePointsAsync(100);
        var c = cluster.Coordinator;

        var t1 = c.Begin(TimeSpan.FromSeconds(30));
        await c.ApplyAsync(t1.TxId, "kv:users", Ops.Get("a"));
        await c.ApplyAsync(t1.TxId, "queue:events", Ops.Enqueue("log", "t1"));
        await c.ApplyAsync(t1.TxId, "resource:points", Ops.Transfer("system", "t1", "1"));
        hold.Armed = true;
        var outcome = await c.CommitAsync(t1.TxId);
        Assert.True(outcome.IsCommitted);

        // The commit timestamp is on its way to kv:users (held): the read-only participant still holds T1, listed for
        // the termination sweep as read-only.
        await hold.Reached.WaitAsync(TimeSpan.FromSeconds(10));
        var prepared = Assert.Single(cluster.Engine("kv:users").GetPrepared());
        Assert.Equal(t1.TxId, prepared.Id);
        Assert.True(prepared.ReadOnly);

        hold.Release();
        await c.DrainAsync();
        Assert.Empty(cluster.Engine("kv:users").GetPrepared());
        Assert.True(cluster.Engine("kv:users").Clock.Current >= outcome.CommitTimestamp, "the reader's clock moved past the commit timestamp");
        var status = c.GetStatus(t1.TxId)!;
        Assert.All(status.Participants, p => Assert.True(p.Acknowledged, p.Resource));
    }

    [Fact]
    public async Task HeldReader_WhoseReleaseIsLost_LearnsTheCommitTimestampFromTheTerminationSweep()
    {
        var hold = new HoldingTransport("commit", "kv:users");
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var cluster = new CoordinationCluster(time, wrap: inner => hold.Wrap(inner));
        await cluster.Coordinator.RecoverAsync();
        await cluster.InitializePointsAsync(100);
        var c = cluster.Coordinator;

        var t1 = c.Begin(TimeSpan.FromSeconds(30));
        await c.ApplyAsync(t1.TxId, "kv:users", Ops.Get("a"));
        await c.ApplyAsync(t1.TxId, "queue:events", Ops.Enqueue("log", "t1"));
        hold.Armed = true;
        hold.Drop = true;
        var outcome = await c.CommitAsync(t1.TxId);
        Assert.True(outcome.IsCommitted);
        Assert.NotEmpty(cluster.Engine("kv:users").GetPrepared());

        // Past the deadline the host asks the coordinator, which answers the one-phase commit's timestamp.
        time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(1, await cluster.Host("n1").ResolvePreparedAsync(all: false));
        Assert.Empty(cluster.Engine("kv:users").GetPrepared());
        Assert.True(cluster.Engine("kv:users").Clock.Current >= outcome.CommitTimestamp);
    }

    [Fact]
    public async Task EveryCommittedAnswer_CarriesAUsableCommitTimestamp()
    {
        await using var cluster = new CoordinationCluster();
        await cluster.Coordinator.RecoverAsync();
        await cluster.InitializePointsAsync(100);
        var c = cluster.Coordinator;

        // One phase (a single participant), through begin/commit and through a batch.
        var one = c.Begin();
        await c.ApplyAsync(one.TxId, "kv:users", Ops.Put("k1", "v1"));
        var onePhase = await c.CommitAsync(one.TxId);
        var batch = await c.ExecuteBatchAsync([new BatchOperation("kv:users", Ops.Put("k2", "v2"))]);

        // Two phases, and a transaction that only reads (two participants, no phase two).
        var two = c.Begin();
        await c.ApplyAsync(two.TxId, "kv:users", Ops.Put("k3", "v3"));
        await c.ApplyAsync(two.TxId, "queue:events", Ops.Enqueue("q", "v3"));
        var twoPhase = await c.CommitAsync(two.TxId);
        var read = c.Begin();
        Assert.Equal("v3", (await c.ApplyAsync(read.TxId, "kv:users", Ops.Get("k3"))).AsString());
        Assert.Equal(1L, (await c.ApplyAsync(read.TxId, "queue:events", Ops.Size("q"))).AsInt64());
        var readOnly = await c.CommitAsync(read.TxId);

        var kv = cluster.Engine("kv:users");
        foreach (var (name, outcome, key, value) in new[] { ("one-phase", onePhase, "k1", "v1"), ("batch", batch.Outcome, "k2", "v2"), ("two-phase", twoPhase, "k3", "v3"), ("read-only", readOnly, "k3", "v3") })
        {
            Assert.True(outcome.IsCommitted, name);
            Assert.True(outcome.CommitTimestamp.Value > 0, $"{name}: commit_ts is 0");
            Assert.Equal(value, (await kv.ReadAsync(outcome.CommitTimestamp, Ops.Get(key), default)).AsString());
            Assert.True((await kv.ReadAsync(new HlcTimestamp(outcome.CommitTimestamp.Value - 1), Ops.Get(key), default)).IsNull || name == "read-only", name);
        }

        Assert.True(readOnly.CommitTimestamp > twoPhase.CommitTimestamp);
        Assert.Equal(onePhase.CommitTimestamp, c.GetStatus(one.TxId)!.CommitTimestamp);
    }

    /// <summary>Holds (or drops) the messages of one kind to one resource while armed, until released.</summary>
    private sealed class HoldingTransport(string kind, string resource)
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Armed { get; set; }

        /// <summary>Fail held messages as lost instead of delivering them.</summary>
        public bool Drop { get; set; }

        public Task Reached => _reached.Task;

        public void Release() => _gate.TrySetResult();

        public IParticipantTransport Wrap(IParticipantTransport inner) => new Transport(this, inner);

        private async Task PassAsync(string messageKind, string messageResource, CancellationToken cancellationToken)
        {
            if (Armed && messageKind == kind && messageResource == resource)
            {
                _reached.TrySetResult();
                if (Drop)
                {
                    throw new IOException($"simulated: {messageKind} to {messageResource} lost");
                }

                await _gate.Task.WaitAsync(cancellationToken);
            }
        }

        private sealed class Transport(HoldingTransport hold, IParticipantTransport inner) : IParticipantTransport
        {
            public ValueTask<ApplyAnswer> ApplyAsync(string node, ApplyRequest request, CancellationToken cancellationToken) => inner.ApplyAsync(node, request, cancellationToken);

            public async ValueTask<Vote> PrepareAsync(string node, PrepareRequest request, CancellationToken cancellationToken)
            {
                await hold.PassAsync("prepare", request.Resource, cancellationToken);
                return await inner.PrepareAsync(node, request, cancellationToken);
            }

            public async ValueTask<BatchPrepareResult> ApplyAndPrepareAsync(string node, BatchPrepareRequest request, CancellationToken cancellationToken)
            {
                await hold.PassAsync("batch", request.Resource, cancellationToken);
                return await inner.ApplyAndPrepareAsync(node, request, cancellationToken);
            }

            public async ValueTask CommitAsync(string node, CommitRequest request, CancellationToken cancellationToken)
            {
                await hold.PassAsync("commit", request.Resource, cancellationToken);
                await inner.CommitAsync(node, request, cancellationToken);
            }

            public async ValueTask<HlcTimestamp> CommitOnePhaseAsync(string node, OnePhaseCommitRequest request, CancellationToken cancellationToken)
            {
                await hold.PassAsync("commit1pc", request.Resource, cancellationToken);
                return await inner.CommitOnePhaseAsync(node, request, cancellationToken);
            }

            public ValueTask AbortAsync(string node, AbortRequest request, CancellationToken cancellationToken) => inner.AbortAsync(node, request, cancellationToken);
        }
    }
}
