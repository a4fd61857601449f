using Cohort.Coordination;
using Cohort.Engines;
using Cohort.Protocol;

namespace Cohort.Tests.Coordination;

/// <summary>
/// The coordinator on a shared, fenced decision log (<see cref="ISharedDecisionLog"/>, modelled by
/// <see cref="SharedLogModel"/>) over real KV, queue and resource engines on three in-process nodes: decision queries
/// about transactions it never saw, a decision write the log refuses or leaves in doubt, predecessors' decisions it
/// adopts, and a plain log on which nothing of this applies.
/// </summary>
public sealed class SharedDecisionLogTests
{
    private static readonly string[] Resources = ["kv:users", "queue:events", "resource:points"];

    [Fact]
    public async Task QueryDecision_OfATransactionNeverSeenHere_AsLeader_RecordsAnAbortInTheLog_AndTheParticipantsAbort()
    {
        await using var cluster = new CoordinationCluster();
        var (model, leadership) = await OnSharedLogAsync(cluster);

        // The predecessor prepared everywhere, then its decision write never landed, and it died.
        var tx = await PrepareInDoubtAsync(cluster, model, SharedLogModel.WriteFault.LostWrite, "gone");
        await FailOverAsync(cluster, model, leadership, epoch: 2, leads: true);
        var c = cluster.Coordinator;
        Assert.Null(c.GetStatus(tx));

        // The participants ask the new leader: it settles the transaction in the log, fenced by its epoch.
        foreach (var node in CoordinationCluster.Layout.Keys)
        {
            Assert.Equal(1, await cluster.Host(node).ResolvePreparedAsync(all: true, default));
        }

        Assert.Equal(DecisionAnswer.Aborted, model.Recorded(tx));

        // Once: the settled abort is kept here, so the second and third participant are answered without the log.
        Assert.Equal(1, model.Settles);
        Assert.Equal(TransactionState.Aborted, c.GetStatus(tx)!.State);
        Assert.Equal(DecisionAnswerKind.Aborted, (await c.QueryDecisionAsync(tx)).Kind);
        AssertNotPrepared(cluster, tx);
        await AssertWritesAsync(cluster, "gone", visible: false);
        AssertNoTransactionsLeft(cluster);
    }

    [Fact]
    public async Task QueryDecision_OfATransactionNeverSeenHere_AsFollower_IsPendingWithoutARecord_AndCommittedWithTheRecordedTimestamp()
    {
        await using var cluster = new CoordinationCluster();
        var (model, leadership) = await OnSharedLogAsync(cluster);

        // Two transactions of the predecessor, both prepared, both in doubt there: one decision landed (its answer was
        // lost), the other never did. The first holds the points account lock, so the other writes no points.
        var landed = await PrepareInDoubtAsync(cluster, model, SharedLogModel.WriteFault.LostAnswer, "landed");
        var recorded = model.Recorded(landed);
        Assert.Equal(DecisionAnswerKind.Committed, recorded?.Kind);
        var commitTimestamp = recorded!.Value.CommitTimestamp;
        var lost = await PrepareInDoubtAsync(cluster, model, SharedLogModel.WriteFault.LostWrite, "lost", points: false);
        Assert.Null(model.Recorded(lost));

        // This node now follows (another node leads at epoch 2): it reads the log, it never records anything.
        await FailOverAsync(cluster, model, leadership, epoch: 2, leads: false);
        var c = cluster.Coordinator;
        Assert.Equal(DecisionAnswer.Pending, await c.QueryDecisionAsync(lost));
        Assert.Equal(DecisionAnswer.Committed(commitTimestamp), await c.QueryDecisionAsync(landed));

        Assert.Equal(1, await cluster.Host("n1").ResolvePreparedAsync(all: true, default));
        Assert.Equal(1, await cluster.Host("n2").ResolvePreparedAsync(all: true, default));
        Assert.Equal(1, await cluster.Host("n3").ResolvePreparedAsync(all: true, default));

        Assert.Equal(0, model.Settles);
        Assert.Null(model.Recorded(lost));
        Assert.Null(c.GetStatus(lost));
        AssertPrepared(cluster, lost, ["kv:users", "queue:events"]);
        AssertNotPrepared(cluster, landed);

        // Committed at exactly the recorded timestamp on every engine: not visible just before it, visible at it.
        var before = new HlcTimestamp(commitTimestamp.Value - 1);
        Assert.True((await ReadAtAsync(cluster, "kv:users", before, Ops.Get("landed"))).IsNull);
        Assert.Equal("landed", (await ReadAtAsync(cluster, "kv:users", commitTimestamp, Ops.Get("landed"))).AsString());
        Assert.Equal(0L, (await ReadAtAsync(cluster, "queue:events", before, Ops.Size("landed"))).AsInt64());
        Assert.Equal(1L, (await ReadAtAsync(cluster, "queue:events", commitTimestamp, Ops.Size("landed"))).AsInt64());
        Assert.Equal("0.00", (await ReadAtAsync(cluster, "resource:points", before, Ops.Balance("landed"))).AsString());
        Assert.Equal("5.00", (await ReadAtAsync(cluster, "resource:points", commitTimestamp, Ops.Balance("landed"))).AsString());
    }

    [Fact]
    public async Task Commit_WhenTheLogRefusesTheDecisionAsNoLeader_AbortsEverywhere()
    {
        await using var cluster = new CoordinationCluster();
        var (model, _) = await OnSharedLogAsync(cluster);
        var c = cluster.Coordinator;
        var tx = c.Begin();
        await WriteEverywhereAsync(c, tx.TxId, "refused");

        // Another node was elected meanwhile; this one has not noticed yet and still prepares.
        model.LeaderEpoch = 2;
        var outcome = await c.CommitAsync(tx.TxId);
        await c.DrainAsync();

        Assert.True(outcome.IsDefinitelyAborted, outcome.ToString());
        Assert.Equal(ErrorCodes.NoLeader, outcome.Code);
        Assert.Equal(1, model.Writes);
        Assert.Null(model.Recorded(tx.TxId));
        Assert.Equal(TransactionState.Aborted, c.GetStatus(tx.TxId)!.State);
        Assert.Equal(DecisionAnswerKind.Aborted, (await c.QueryDecisionAsync(tx.TxId)).Kind);
        Assert.Equal(0, model.Settles);
        AssertNotPrepared(cluster, tx.TxId);
        AssertNoTransactionsLeft(cluster);
        await AssertWritesAsync(cluster, "refused", visible: false);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Commit_WhenTheDecisionWriteIsInDoubtButLanded_SettlesToCommitted_AndPhaseTwoRuns(bool byParticipantQuery)
    {
        await using var cluster = new CoordinationCluster();
        var (model, _) = await OnSharedLogAsync(cluster);
        var c = cluster.Coordinator;
        var tx = c.Begin();
        await WriteEverywhereAsync(c, tx.TxId, "landed");
        model.Fault = SharedLogModel.WriteFault.LostAnswer;

        var outcome = await c.CommitAsync(tx.TxId);
        Assert.True(outcome.IsInDoubt, outcome.ToString());
        Assert.Equal(TransactionState.InDoubt, c.GetStatus(tx.TxId)!.State);
        Assert.Equal(DecisionAnswerKind.Pending, c.QueryDecision(tx.TxId).Kind);
        AssertPrepared(cluster, tx.TxId, Resources);
        var recorded = model.Recorded(tx.TxId);
        Assert.Equal(DecisionAnswerKind.Committed, recorded?.Kind);

        model.Fault = SharedLogModel.WriteFault.None;
        if (byParticipantQuery)
        {
            // A participant asking about it makes the coordinator look it up (the sweep would too).
            Assert.Equal(1, await cluster.Host("n1").ResolvePreparedAsync(all: true, default));
        }
        else
        {
            Assert.Equal(1, await c.SettleInDoubtAsync());
        }

        await c.DrainAsync().WaitAsync(TimeSpan.FromSeconds(30));

        var status = c.GetStatus(tx.TxId)!;
        Assert.Equal(TransactionState.Committed, status.State);
        Assert.Equal((1L, 2L), (c.Outcomes.InDoubt, c.Outcomes.Committed)); // the points' initialization, then this one
        Assert.Equal(recorded!.Value.CommitTimestamp, status.CommitTimestamp);
        Assert.All(status.Participants, p => Assert.True(p.Acknowledged));
        var again = await c.CommitAsync(tx.TxId);
        Assert.True(again.IsCommitted, again.ToString());
        Assert.Equal(recorded.Value.CommitTimestamp, again.CommitTimestamp);
        Assert.True(model.Ended(tx.TxId));
        Assert.Empty(model.GetUnfinished());
        AssertNotPrepared(cluster, tx.TxId);
        AssertNoTransactionsLeft(cluster);
        await AssertWritesAsync(cluster, "landed", visible: true);
    }

    [Fact]
    public async Task Commit_WhenTheDecisionWriteIsInDoubtAndDidNotLand_OnlyTheLeaderAtItsEpochSettlesIt_Aborted()
    {
        await using var cluster = new CoordinationCluster();
        var (model, leadership) = await OnSharedLogAsync(cluster);
        var c = cluster.Coordinator;
        var tx = c.Begin();
        await WriteEverywhereAsync(c, tx.TxId, "lost");
        model.Fault = SharedLogModel.WriteFault.LostWrite;

        var outcome = await c.CommitAsync(tx.TxId);
        Assert.True(outcome.IsInDoubt, outcome.ToString());
        model.Fault = SharedLogModel.WriteFault.None;

        // As a follower it only reads: nothing there, so still in doubt.
        leadership.IsLeader = false;
        Assert.Equal(0, await c.SettleInDoubtAsync());
        Assert.Null(model.Recorded(tx.TxId));
        Assert.Equal(TransactionState.InDoubt, c.GetStatus(tx.TxId)!.State);

        // Believing it leads at an epoch the log has moved past: the settle is refused, nothing is recorded.
        leadership.IsLeader = true;
        model.LeaderEpoch = 2;
        Assert.Equal(0, await c.SettleInDoubtAsync());
        Assert.Null(model.Recorded(tx.TxId));
        Assert.Equal(TransactionState.InDoubt, c.GetStatus(tx.TxId)!.State);
        AssertPrepared(cluster, tx.TxId, Resources);

        // Leading again, at epoch 3: it records the abort and tells the participants.
        leadership.Epoch = 3;
        model.LeaderEpoch = 3;
        Assert.Equal(1, await c.SettleInDoubtAsync());
        await c.DrainAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(DecisionAnswer.Aborted, model.Recorded(tx.TxId));
        Assert.Equal(TransactionState.Aborted, c.GetStatus(tx.TxId)!.State);
        Assert.Equal([(ErrorCodes.Aborted, 1L)], c.Outcomes.Aborted().Where(a => a.Count > 0));
        Assert.Equal((1L, 1L), (c.Outcomes.InDoubt, c.Outcomes.Committed)); // committed: the points' initialization
        Assert.True((await c.CommitAsync(tx.TxId)).IsDefinitelyAborted);
        Assert.Equal(DecisionAnswerKind.Aborted, (await c.QueryDecisionAsync(tx.TxId)).Kind);
        AssertNotPrepared(cluster, tx.TxId);
        AssertNoTransactionsLeft(cluster);
        await AssertWritesAsync(cluster, "lost", visible: false);
    }

    [Fact]
    public async Task SettleInDoubt_ToCommitted_ReleasesTheReadersThatKeptTheirLocks()
    {
        await using var cluster = new CoordinationCluster();
        var (model, _) = await OnSharedLogAsync(cluster);
        var c = cluster.Coordinator;
        var tx = c.Begin();
        Assert.Equal(0L, (await c.ApplyAsync(tx.TxId, "queue:events", Ops.Size("read"))).AsInt64());
        await c.ApplyAsync(tx.TxId, "kv:users", Ops.Put("read", "read"));
        await c.ApplyAsync(tx.TxId, "resource:points", Ops.Transfer("system", "read", "5"));
        model.Fault = SharedLogModel.WriteFault.LostAnswer;

        Assert.True((await c.CommitAsync(tx.TxId)).IsInDoubt);
        var reader = Assert.Single(cluster.Engine("queue:events").GetPrepared());
        Assert.True(reader.ReadOnly);

        model.Fault = SharedLogModel.WriteFault.None;
        Assert.Equal(1, await c.SettleInDoubtAsync());
        await c.DrainAsync().WaitAsync(TimeSpan.FromSeconds(30));

        // The reader learns the commit timestamp from the coordinator, as after a decision written at once: it does
        // not hold its shared locks until its deadline passes and it asks.
        Assert.Equal(TransactionState.Committed, c.GetStatus(tx.TxId)!.State);
        Assert.Empty(cluster.Engine("queue:events").GetPrepared());
        AssertNoTransactionsLeft(cluster);
        Assert.Equal("read", (await cluster.ReadAsync("kv:users", Ops.Get("read"))).AsString());
    }

    [Fact]
    public async Task AdoptUnfinished_RedrivesAPredecessorsDecisionFoundOnlyInTheSharedLog()
    {
        FaultyTransport? faulty = null;
        await using var cluster = new CoordinationCluster(wrap: t => faulty = new FaultyTransport(t));
        var (model, leadership) = await OnSharedLogAsync(cluster);

        // The predecessor prepared everywhere; its decision is in the shared log — as another node's coordinator
        // writes it — and not in this node's own file. Then it died before phase two.
        var tx = await PrepareInDoubtAsync(cluster, model, SharedLogModel.WriteFault.LostWrite, "adopted");
        var decision = cluster.Coordinator.GetStatus(tx)!.Decision!;
        model.Put(decision);
        await FailOverAsync(cluster, model, leadership, epoch: 2, leads: true);
        var c = cluster.Coordinator;
        Assert.Null(c.GetStatus(tx));
        Assert.Empty(cluster.DecisionLog.GetUnfinished());

        // A decision of its own, still in phase two (n1 does not get the commit yet): already driven here, not adopted.
        faulty!.Fail = (node, kind) => node == "n1" && kind == "commit";
        var own = c.Begin();
        await c.ApplyAsync(own.TxId, "kv:users", Ops.Put("own", "own"));
        await c.ApplyAsync(own.TxId, "queue:events", Ops.Enqueue("own", "own"));
        Assert.True((await c.CommitAsync(own.TxId)).IsCommitted);
        Assert.Equal(DecisionAnswerKind.Committed, model.Recorded(own.TxId)?.Kind);

        Assert.Equal(1, await c.AdoptUnfinishedAsync());
        Assert.Equal(TransactionState.Committing, c.GetStatus(tx)!.State);
        Assert.Equal(TransactionState.Committing, c.GetStatus(own.TxId)!.State);

        faulty.Fail = (_, _) => false;
        await c.DrainAsync().WaitAsync(TimeSpan.FromSeconds(30));

        var status = c.GetStatus(tx)!;
        Assert.Equal(TransactionState.Committed, status.State);
        Assert.Equal(decision.CommitTimestamp, status.CommitTimestamp);
        Assert.Equal(TransactionState.Committed, c.GetStatus(own.TxId)!.State);
        Assert.True(model.Ended(tx));
        Assert.True(model.Ended(own.TxId));
        Assert.Empty(model.GetUnfinished());
        Assert.Equal(0, await c.AdoptUnfinishedAsync());
        AssertNotPrepared(cluster, tx);
        AssertNoTransactionsLeft(cluster);
        await AssertWritesAsync(cluster, "adopted", visible: true);
        Assert.Equal("own", (await cluster.ReadAsync("kv:users", Ops.Get("own"))).AsString());
    }

    [Fact]
    public async Task OnAPlainDecisionLog_UnknownTransactionsArePresumedAborted_AndNothingIsAskedOfASharedLog()
    {
        await using var cluster = new CoordinationCluster();
        await cluster.StopCoordinatorAsync();

        // The model behind a plain IDecisionLog: the coordinator cannot see that it is shared.
        var model = new SharedLogModel();
        FailingDecisionLog? plain = null;
        cluster.WrapLog = log => plain = new FailingDecisionLog(model.Attach(log)) { Failing = false };
        cluster.Leadership = new TestLeadership { Epoch = 1, IsLeader = true };
        cluster.StartCoordinator();
        await cluster.Coordinator.RecoverAsync();
        var c = cluster.Coordinator;

        var committed = c.Begin();
        await WriteEverywhereAsync(c, committed.TxId, "plain", points: false);
        Assert.True((await c.CommitAsync(committed.TxId)).IsCommitted);
        await c.DrainAsync();
        Assert.Equal(1, model.Writes);

        var unknown = TxId.NewId();
        Assert.Equal(DecisionAnswer.Aborted, await c.QueryDecisionAsync(unknown));
        Assert.Null(c.GetStatus(unknown));

        // A decision write that failed stays in doubt: no log settles it here.
        plain!.Failing = true;
        var doubt = c.Begin();
        await WriteEverywhereAsync(c, doubt.TxId, "doubt", points: false);
        Assert.True((await c.CommitAsync(doubt.TxId)).IsInDoubt);
        Assert.Equal(0, await c.SettleInDoubtAsync());
        Assert.Equal(0, await c.AdoptUnfinishedAsync());
        Assert.Equal(DecisionAnswer.Pending, await c.QueryDecisionAsync(doubt.TxId));
        Assert.Equal(0, await cluster.Host("n1").ResolvePreparedAsync(all: true, default));
        Assert.Equal(TransactionState.InDoubt, c.GetStatus(doubt.TxId)!.State);
        AssertPrepared(cluster, doubt.TxId, ["kv:users", "queue:events"]);

        Assert.Equal((0, 0, 0), (model.Reads, model.Settles, model.Reloads));
        Assert.Equal("plain", (await cluster.ReadAsync("kv:users", Ops.Get("plain"))).AsString());
    }

    // Restarts the cluster's coordinator on a SharedLogModel, leading at epoch 1, recovered, with points to transfer.
    private static async Task<(SharedLogModel Model, TestLeadership Leadership)> OnSharedLogAsync(CoordinationCluster cluster)
    {
        await cluster.StopCoordinatorAsync();
        var model = new SharedLogModel { LeaderEpoch = 1 };
        var leadership = new TestLeadership { Epoch = 1, IsLeader = true };
        cluster.WrapLog = model.Attach;
        cluster.Leadership = leadership;
        cluster.StartCoordinator();
        await cluster.Coordinator.RecoverAsync();
        await cluster.InitializePointsAsync(100);
        return (model, leadership);
    }

    // The coordinator dies (its memory is lost, its own file log stays) and this node's next one runs at `epoch`.
    private static async Task FailOverAsync(CoordinationCluster cluster, SharedLogModel model, TestLeadership leadership, long epoch, bool leads)
    {
        await cluster.StopCoordinatorAsync();
        model.Fault = SharedLogModel.WriteFault.None;
        model.LeaderEpoch = epoch;
        leadership.Epoch = epoch;
        leadership.IsLeader = leads;
        cluster.StartCoordinator();
        await cluster.Coordinator.RecoverAsync();
    }

    // A transaction prepared on every participant whose decision write fails with `fault`: in doubt, never phase two.
    private static async Task<TxId> PrepareInDoubtAsync(CoordinationCluster cluster, SharedLogModel model, SharedLogModel.WriteFault fault, string key, bool points = true)
    {
        var c = cluster.Coordinator;
        var tx = c.Begin();
        await WriteEverywhereAsync(c, tx.TxId, key, points);
        model.Fault = fault;
        var outcome = await c.CommitAsync(tx.TxId);
        model.Fault = SharedLogModel.WriteFault.None;
        Assert.True(outcome.IsInDoubt, outcome.ToString());
        AssertPrepared(cluster, tx.TxId, points ? Resources : ["kv:users", "queue:events"]);
        return tx.TxId;
    }

    private static async Task WriteEverywhereAsync(Coordinator c, TxId tx, string key, bool points = true)
    {
        await c.ApplyAsync(tx, "kv:users", Ops.Put(key, key));
        await c.ApplyAsync(tx, "queue:events", Ops.Enqueue(key, key));
        if (points)
        {
            await c.ApplyAsync(tx, "resource:points", Ops.Transfer("system", key, "5"));
        }
    }

    // Reads only what the transaction with `key` wrote (another one may still hold other keys prepared).
    private static async Task AssertWritesAsync(CoordinationCluster cluster, string key, bool visible)
    {
        var kv = await cluster.ReadAsync("kv:users", Ops.Get(key));
        var queued = (await cluster.ReadAsync("queue:events", Ops.Size(key))).AsInt64();
        var balance = (await cluster.ReadAsync("resource:points", Ops.Balance(key))).AsString();
        if (visible)
        {
            Assert.Equal(key, kv.AsString());
            Assert.Equal(1L, queued);
            Assert.Equal("5.00", balance);
        }
        else
        {
            Assert.True(kv.IsNull);
            Assert.Equal(0L, queued);
            Assert.Equal("0.00", balance);
        }
    }

    private static async Task<Value> ReadAtAsync(CoordinationCluster cluster, string resource, HlcTimestamp snapshot, Operation operation) =>
        await cluster.Engine(resource).ReadAsync(snapshot, operation, default);

    private static void AssertPrepared(CoordinationCluster cluster, TxId tx, string[] resources)
    {
        foreach (var resource in resources)
        {
            Assert.Contains(cluster.Engine(resource).GetPrepared(), p => p.Id == tx && !p.ReadOnly);
        }
    }

    private static void AssertNotPrepared(CoordinationCluster cluster, TxId tx)
    {
        foreach (var resource in Resources)
        {
            Assert.DoesNotContain(cluster.Engine(resource).GetPrepared(), p => p.Id == tx);
        }
    }

    private static void AssertNoTransactionsLeft(CoordinationCluster cluster)
    {
        foreach (var resource in Resources)
        {
            Assert.Empty(cluster.Engine(resource).GetPrepared());
            Assert.Equal(0, ((IEmbeddedEngine)cluster.Engine(resource)).ActiveTransactionCount);
        }
    }

    /// <summary>A leadership the test moves by hand.</summary>
    private sealed class TestLeadership : ILeadership
    {
        private long _epoch;
        private int _isLeader;

        public long Epoch
        {
            get => Interlocked.Read(ref _epoch);
            set => Interlocked.Exchange(ref _epoch, value);
        }

        public bool IsLeader
        {
            get => Volatile.Read(ref _isLeader) != 0;
            set => Volatile.Write(ref _isLeader, value ? 1 : 0);
        }
    }
}
