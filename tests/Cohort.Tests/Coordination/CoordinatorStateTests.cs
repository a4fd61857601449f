using Cohort.Coordination;
using Cohort.Protocol;

namespace Cohort.Tests.Coordination;

/// <summary>Status, listing, decision answers while a transaction is in flight, abort during prepare, the overdue sweep.</summary>
public sealed class CoordinatorStateTests
{
    [Fact]
    public async Task QueryDecision_ForActiveAndPreparingTransactions_IsPending_AndAbortDuringPrepareWins()
    {
        BlockingTransport? blocking = null;
        await using var cluster = new CoordinationCluster(wrap: t => blocking = new BlockingTransport(t));
        var c = cluster.Coordinator;
        await c.RecoverAsync();

        var tx = c.Begin(label: "slow");
        await c.ApplyAsync(tx.TxId, "kv:users", Ops.Put("p", 1L));
        await c.ApplyAsync(tx.TxId, "queue:events", Ops.Enqueue("p", 1L));
        Assert.Equal(DecisionAnswerKind.Pending, c.QueryDecision(tx.TxId).Kind);
        Assert.Equal(tx.TxId, Assert.Single(c.List(TransactionState.Active)).TxId);

        blocking!.Blocking = true;
        var commit = c.CommitAsync(tx.TxId).AsTask();
        await blocking.PrepareReached.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(TransactionState.Preparing, c.GetStatus(tx.TxId)!.State);
        Assert.Equal(DecisionAnswerKind.Pending, c.QueryDecision(tx.TxId).Kind);

        var abort = c.AbortAsync(tx.TxId).AsTask();
        blocking.Release();
        var committed = await commit.WaitAsync(TimeSpan.FromSeconds(30));
        var aborted = await abort.WaitAsync(TimeSpan.FromSeconds(30));
        await c.DrainAsync();

        Assert.True(committed.IsDefinitelyAborted, committed.ToString());
        Assert.Equal(committed, aborted);
        Assert.Equal(DecisionAnswerKind.Aborted, c.QueryDecision(tx.TxId).Kind);
        Assert.Empty(cluster.Engine("kv:users").GetPrepared());
        Assert.Empty(cluster.Engine("queue:events").GetPrepared());
        Assert.True((await cluster.ReadAsync("kv:users", Ops.Get("p"))).IsNull);
    }

    [Fact]
    public async Task PhaseTwoBacklogFull_TheNextCaller_IsAnsweredOnlyAfterItsOwnPhaseTwo()
    {
        BlockingTransport? blocking = null;
        await using var cluster = new CoordinationCluster(wrap: t => blocking = new BlockingTransport(t), phaseTwoBacklog: 1);
        var c = cluster.Coordinator;
        await c.RecoverAsync();
        blocking!.BlockingCommits = true;

        // Nothing in phase two yet: the first caller is answered once the decision is durable, phase two still running.
        var first = await CommitBothAsync(c, "first");
        Assert.True(first.Outcome.IsCommitted, first.Outcome.ToString());
        Assert.Equal(TransactionState.Committing, c.GetStatus(first.TxId)!.State);
        Assert.Equal(1, c.PhaseTwoPending);

        // The backlog (1) is full: the second caller's answer waits for its own phase two, here held at both participants.
        var second = CommitBothAsync(c, "second");
        for (var i = 0; i < 4; i++)
        {
            Assert.True(await blocking.CommitsReached.WaitAsync(TimeSpan.FromSeconds(30)), "phase-two commits reached the participants");
        }

        Assert.False(second.IsCompleted);
        blocking.ReleaseCommits();
        var answered = await second.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(answered.Outcome.IsCommitted, answered.Outcome.ToString());
        Assert.Equal(TransactionState.Committed, c.GetStatus(answered.TxId)!.State);
        Assert.Equal(1, c.PhaseTwoWaitCount);

        await c.DrainAsync();
        Assert.Equal(0, c.PhaseTwoPending);
        Assert.Equal(TransactionState.Committed, c.GetStatus(first.TxId)!.State);
        Assert.Equal(2, (await cluster.ReadAsync("kv:users", Ops.Get("second"))).AsInt64());
    }

    private static async Task<(Cohort.Core.TxId TxId, TxOutcome Outcome)> CommitBothAsync(Coordinator c, string key)
    {
        var tx = c.Begin();
        await c.ApplyAsync(tx.TxId, "kv:users", Ops.Put(key, 2L));
        await c.ApplyAsync(tx.TxId, "queue:events", Ops.Enqueue(key, 2L));
        return (tx.TxId, await c.CommitAsync(tx.TxId));
    }

    [Fact]
    public async Task QueryDecision_ForAnUnknownTransaction_IsAbortedOnlyAfterRecovery()
    {
        await using var cluster = new CoordinationCluster();
        var stranger = Cohort.Core.TxId.NewId();
        Assert.Equal(DecisionAnswerKind.Pending, cluster.Coordinator.QueryDecision(stranger).Kind);
        await cluster.Coordinator.RecoverAsync();
        Assert.Equal(DecisionAnswerKind.Aborted, cluster.Coordinator.QueryDecision(stranger).Kind);
        Assert.Null(cluster.Coordinator.GetStatus(stranger));
    }

    [Fact]
    public async Task AbortOverdue_AbortsActiveTransactionsPastTheirDeadline_AndReleasesParticipants()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var cluster = new CoordinationCluster(time);
        var c = cluster.Coordinator;
        var late = c.Begin(TimeSpan.FromSeconds(1));
        var onTime = c.Begin(TimeSpan.FromSeconds(60));
        await c.ApplyAsync(late.TxId, "kv:users", Ops.Put("late", 1L));
        await c.ApplyAsync(onTime.TxId, "kv:users", Ops.Put("ontime", 1L));

        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, c.AbortOverdue());
        await c.DrainAsync();

        Assert.Equal(TransactionState.Aborted, c.GetStatus(late.TxId)!.State);
        Assert.Equal(TransactionState.Active, c.GetStatus(onTime.TxId)!.State);
        Assert.Equal(late.TxId, Assert.Single(c.List(TransactionState.Aborted)).TxId);
        Assert.Equal(1, ((Cohort.Engines.IEmbeddedEngine)cluster.Engine("kv:users")).ActiveTransactionCount);
        Assert.True((await c.CommitAsync(onTime.TxId)).IsCommitted);
    }

    [Fact]
    public async Task Commit_CalledTwice_ReturnsTheSameOutcome()
    {
        await using var cluster = new CoordinationCluster();
        var c = cluster.Coordinator;
        var tx = c.Begin();
        await c.ApplyAsync(tx.TxId, "kv:users", Ops.Put("twice", 1L));
        await c.ApplyAsync(tx.TxId, "queue:events", Ops.Enqueue("twice", 1L));
        var first = await c.CommitAsync(tx.TxId);
        var second = await c.CommitAsync(tx.TxId);
        Assert.True(first.IsCommitted);
        Assert.Equal(first, second);
        Assert.True((await c.AbortAsync(tx.TxId)).IsCommitted);
    }

    [Fact]
    public async Task FinishedTransactions_KeepTheirStatusOutcomeAndDecision_UntilTheCapacityForgetsTheOldest()
    {
        await using var cluster = new CoordinationCluster(finishedCapacity: 3);
        var c = cluster.Coordinator;
        await c.RecoverAsync();

        // A two-phase commit (two writers), an abort, and two more commits that push the first one out.
        var committed = c.Begin(label: "first");
        await c.ApplyAsync(committed.TxId, "kv:users", Ops.Put("f", 1L));
        await c.ApplyAsync(committed.TxId, "queue:events", Ops.Enqueue("f", 1L));
        var outcome = await c.CommitAsync(committed.TxId);
        await c.DrainAsync();
        var aborted = c.Begin();
        await c.ApplyAsync(aborted.TxId, "kv:users", Ops.Put("a", 1L));
        await c.AbortAsync(aborted.TxId);
        await c.DrainAsync();

        var status = c.GetStatus(committed.TxId)!;
        Assert.True(outcome.IsCommitted, outcome.ToString());
        Assert.Equal(TransactionState.Committed, status.State);
        Assert.Equal("first", status.Label);
        Assert.Equal(["kv:users", "queue:events"], status.Participants.Select(p => p.Resource).Order());
        Assert.All(status.Participants, p => Assert.True(p.Acknowledged && p.Vote == Cohort.Core.VoteKind.Yes, p.ToString()));
        Assert.Equal(outcome.CommitTimestamp, status.Decision!.CommitTimestamp);
        Assert.Equal(DecisionAnswerKind.Committed, c.QueryDecision(committed.TxId).Kind);
        Assert.Equal(outcome.CommitTimestamp, c.QueryDecision(committed.TxId).CommitTimestamp);
        Assert.Equal(outcome, await c.CommitAsync(committed.TxId));
        Assert.Equal(outcome, await c.AbortAsync(committed.TxId));
        Assert.Equal(Cohort.Core.ErrorCodes.NotActive, (await Assert.ThrowsAsync<Cohort.Core.CohortException>(() => c.ApplyAsync(committed.TxId, "kv:users", Ops.Put("g", 1L)).AsTask())).Code);
        Assert.Equal(Cohort.Core.ErrorCodes.Aborted, (await Assert.ThrowsAsync<Cohort.Core.CohortException>(() => c.ApplyAsync(aborted.TxId, "kv:users", Ops.Put("g", 1L)).AsTask())).Code);
        Assert.True((await c.CommitAsync(aborted.TxId)).IsDefinitelyAborted);
        Assert.Equal([committed.TxId, aborted.TxId], c.List().Select(s => s.TxId).Order());
        Assert.Equal(aborted.TxId, Assert.Single(c.List(TransactionState.Aborted)).TxId);

        foreach (var key in new[] { "x", "y" })
        {
            var next = c.Begin();
            await c.ApplyAsync(next.TxId, "kv:users", Ops.Put(key, 1L));
            Assert.True((await c.CommitAsync(next.TxId)).IsCommitted);
        }

        await c.DrainAsync();
        Assert.Null(c.GetStatus(committed.TxId));
        Assert.Equal(TransactionState.Aborted, c.GetStatus(aborted.TxId)!.State);
        Assert.Equal(3, c.List().Count);
        Assert.Equal(Cohort.Core.ErrorCodes.UnknownTransaction, (await Assert.ThrowsAsync<Cohort.Core.CohortException>(() => c.CommitAsync(committed.TxId).AsTask())).Code);
    }
}
