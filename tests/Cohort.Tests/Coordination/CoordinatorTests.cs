using Cohort.Coordination;
using Cohort.Protocol;

namespace Cohort.Tests.Coordination;

/// <summary>The coordinator over real KV, queue and resource engines on three in-process nodes.</summary>
public sealed class CoordinatorTests
{
    [Fact]
    public async Task Commit_AcrossKvQueueAndResource_CommitsEverywhereAndWritesEnd()
    {
        await using var cluster = new CoordinationCluster();
        await cluster.Coordinator.RecoverAsync();
        await cluster.InitializePointsAsync(100);
        var c = cluster.Coordinator;

        var tx = c.Begin(TimeSpan.FromSeconds(30), "checkout");
        await c.ApplyAsync(tx.TxId, "kv:users", Ops.Put("user:alice", "Alice"));
        await c.ApplyAsync(tx.TxId, "queue:events", Ops.Enqueue("welcome", "alice"));
        await c.ApplyAsync(tx.TxId, "resource:points", Ops.Transfer("system", "alice", "5"));
        var outcome = await c.CommitAsync(tx.TxId);

        Assert.Equal(TxOutcomeKind.Committed, outcome.Kind);
        await c.DrainAsync();
        var status = c.GetStatus(tx.TxId)!;
        Assert.Equal(TransactionState.Committed, status.State);
        Assert.Equal("checkout", status.Label);
        Assert.NotNull(status.Decision);
        Assert.Equal(3, status.Decision.Participants.Length);
        Assert.All(status.Participants, p => Assert.True(p.Acknowledged));
        Assert.Empty(cluster.DecisionLog.GetUnfinished());
        Assert.Equal("Alice", (await cluster.ReadAsync("kv:users", Ops.Get("user:alice"))).AsString());
        Assert.Equal(1L, (await cluster.ReadAsync("queue:events", Ops.Size("welcome"))).AsInt64());
        Assert.Equal("5.00", (await cluster.ReadAsync("resource:points", Ops.Balance("alice"))).AsString());
        Assert.Equal("95.00", (await cluster.ReadAsync("resource:points", Ops.Balance("system"))).AsString());
    }

    [Fact]
    public async Task Abort_AfterWritesOnThreeNodes_LeavesNoTrace()
    {
        await using var cluster = new CoordinationCluster();
        await cluster.Coordinator.RecoverAsync();
        await cluster.InitializePointsAsync(100);
        var c = cluster.Coordinator;

        var tx = c.Begin();
        await c.ApplyAsync(tx.TxId, "kv:users", Ops.Put("user:bob", "Bob"));
        await c.ApplyAsync(tx.TxId, "queue:events", Ops.Enqueue("welcome", "bob"));
        await c.ApplyAsync(tx.TxId, "resource:points", Ops.Transfer("system", "bob", "7"));
        var outcome = await c.AbortAsync(tx.TxId);
        await c.DrainAsync();

        Assert.True(outcome.IsDefinitelyAborted);
        Assert.Equal(TransactionState.Aborted, c.GetStatus(tx.TxId)!.State);
        Assert.True((await cluster.ReadAsync("kv:users", Ops.Get("user:bob"))).IsNull);
        Assert.Equal(0L, (await cluster.ReadAsync("queue:events", Ops.Size("welcome"))).AsInt64());
        Assert.Equal("0.00", (await cluster.ReadAsync("resource:points", Ops.Balance("bob"))).AsString());
        Assert.Equal("100.00", (await cluster.ReadAsync("resource:points", Ops.Balance("system"))).AsString());
        foreach (var resource in new[] { "kv:users", "queue:events", "resource:points" })
        {
            Assert.Empty(cluster.Engine(resource).GetPrepared());
            Assert.Equal(0, ((Cohort.Engines.IEmbeddedEngine)cluster.Engine(resource)).ActiveTransactionCount);
        }

        var afterAbort = await Assert.ThrowsAsync<CohortException>(async () => await c.ApplyAsync(tx.TxId, "kv:users", Ops.Put("x", 1L)));
        Assert.Equal(ErrorCodes.Aborted, afterAbort.Code);
    }

    [Fact]
    public async Task Commit_WithOneWriterAndAReader_CommitsInOnePhaseWithoutDecisionRecord()
    {
        await using var cluster = new CoordinationCluster();
        await cluster.Coordinator.RecoverAsync();
        var c = cluster.Coordinator;

        var tx = c.Begin();
        Assert.True((await c.ApplyAsync(tx.TxId, "queue:events", Ops.Peek("welcome"))).IsNull);
        await c.ApplyAsync(tx.TxId, "kv:users", Ops.Put("user:carol", "Carol"));
        var outcome = await c.CommitAsync(tx.TxId);

        Assert.True(outcome.IsCommitted, outcome.ToString());
        var status = c.GetStatus(tx.TxId)!;
        Assert.Equal(TransactionState.Committed, status.State);
        Assert.Null(status.Decision);
        Assert.Equal(VoteKind.ReadOnly, status.Participants.Single(p => p.Resource == "queue:events").Vote);
        Assert.True(status.Participants.Single(p => p.Resource == "kv:users").Acknowledged);
        Assert.Empty(cluster.DecisionLog.GetUnfinished());
        Assert.Equal("Carol", (await cluster.ReadAsync("kv:users", Ops.Get("user:carol"))).AsString());

        // The reader voted ReadOnly and kept its locks until the writer's commit timestamp reached it (in the
        // background, after the answer); then neither holds anything.
        await c.DrainAsync();
        Assert.Equal(0, ((Cohort.Engines.IEmbeddedEngine)cluster.Engine("queue:events")).ActiveTransactionCount);
        Assert.Equal(0, ((Cohort.Engines.IEmbeddedEngine)cluster.Engine("kv:users")).ActiveTransactionCount);
    }

    [Fact]
    public async Task Commit_WhenAnOperationThatMayWriteDidNot_TheParticipantSaysSo_AndTheWriterCommitsInOnePhase()
    {
        await using var cluster = new CoordinationCluster();
        await cluster.Coordinator.RecoverAsync();
        var c = cluster.Coordinator;
        var tx = c.Begin();

        // A dequeue may write, but on an empty queue it takes nothing: the queue answers that it did not write.
        Assert.True((await c.ApplyAsync(tx.TxId, "queue:events", Operation.Create(OperationNames.Dequeue, ("queue", Value.From("empty"))))).IsNull);
        await c.ApplyAsync(tx.TxId, "kv:users", Ops.Put("user:dave", "Dave"));
        var before = c.GetStatus(tx.TxId)!;
        Assert.False(before.Participants.Single(p => p.Resource == "queue:events").MayWrite);
        Assert.True(before.Participants.Single(p => p.Resource == "kv:users").MayWrite);

        var outcome = await c.CommitAsync(tx.TxId);
        Assert.True(outcome.IsCommitted, outcome.ToString());
        var status = c.GetStatus(tx.TxId)!;
        Assert.Null(status.Decision);
        Assert.Equal(VoteKind.ReadOnly, status.Participants.Single(p => p.Resource == "queue:events").Vote);
        Assert.Empty(cluster.DecisionLog.GetUnfinished());
        Assert.Equal("Dave", (await cluster.ReadAsync("kv:users", Ops.Get("user:dave"))).AsString());
    }

    [Fact]
    public async Task Commit_OfReadOnlyTransaction_CommitsWithoutDecisionOrPhaseTwo()
    {
        var faulty = (FaultyTransport?)null;
        await using var cluster = new CoordinationCluster(wrap: t => faulty = new FaultyTransport(t));
        await cluster.Coordinator.RecoverAsync();
        var c = cluster.Coordinator;

        var tx = c.Begin();
        await c.ApplyAsync(tx.TxId, "kv:users", Ops.Get("nobody"));
        await c.ApplyAsync(tx.TxId, "queue:events", Ops.Size("welcome"));

        // Any phase-two or one-phase message would now fail the commit.
        faulty!.Fail = (_, kind) => kind is "commit" or "commit1pc";
        var outcome = await c.CommitAsync(tx.TxId);

        Assert.True(outcome.IsCommitted, outcome.ToString());
        var status = c.GetStatus(tx.TxId)!;
        Assert.Null(status.Decision);
        Assert.All(status.Participants, p => Assert.Equal(VoteKind.ReadOnly, p.Vote));
        Assert.Equal(0, faulty.Lost);
    }

    [Fact]
    public async Task Commit_WithNoParticipants_IsCommitted()
    {
        await using var cluster = new CoordinationCluster();
        var tx = cluster.Coordinator.Begin();
        Assert.True((await cluster.Coordinator.CommitAsync(tx.TxId)).IsCommitted);
    }

    [Fact]
    public async Task Commit_AfterTheDeadline_AbortsEverywhere()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var cluster = new CoordinationCluster(time);
        await cluster.Coordinator.RecoverAsync();
        var c = cluster.Coordinator;

        var tx = c.Begin(TimeSpan.FromSeconds(2));
        await c.ApplyAsync(tx.TxId, "kv:users", Ops.Put("late", 1L));
        await c.ApplyAsync(tx.TxId, "queue:events", Ops.Enqueue("late", 1L));
        time.Advance(TimeSpan.FromSeconds(3));
        var outcome = await c.CommitAsync(tx.TxId);
        await c.DrainAsync();

        Assert.True(outcome.IsDefinitelyAborted, outcome.ToString());
        Assert.Contains("deadline", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(ErrorCodes.Expired, outcome.Code);
        Assert.Equal([(ErrorCodes.Expired, 1L)], c.Outcomes.Aborted().Where(a => a.Count > 0));
        Assert.Equal(0, c.Outcomes.Committed);
        Assert.True((await cluster.ReadAsync("kv:users", Ops.Get("late"))).IsNull);
        Assert.Equal(0L, (await cluster.ReadAsync("queue:events", Ops.Size("late"))).AsInt64());
        Assert.Equal(0, ((Cohort.Engines.IEmbeddedEngine)cluster.Engine("kv:users")).ActiveTransactionCount);
    }

    [Fact]
    public async Task Apply_AfterTheDeadline_FailsExpiredAndAborts()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var cluster = new CoordinationCluster(time);
        var c = cluster.Coordinator;
        var tx = c.Begin(TimeSpan.FromSeconds(1));
        await c.ApplyAsync(tx.TxId, "kv:users", Ops.Put("k", 1L));
        time.Advance(TimeSpan.FromSeconds(2));

        var error = await Assert.ThrowsAsync<CohortException>(async () => await c.ApplyAsync(tx.TxId, "kv:users", Ops.Put("k2", 2L)));
        Assert.Equal(ErrorCodes.Expired, error.Code);
        Assert.Equal(TransactionState.Aborted, c.GetStatus(tx.TxId)!.State);
    }

    [Fact]
    public async Task Commit_OfYoungerTransactionWoundedByAnOlderOne_Aborts()
    {
        await using var cluster = new CoordinationCluster();
        await cluster.Coordinator.RecoverAsync();
        var c = cluster.Coordinator;

        var older = c.Begin();
        var younger = c.Begin();
        Assert.True(older.TxId.IsOlderThan(younger.TxId));
        await c.ApplyAsync(younger.TxId, "kv:users", Ops.Put("hot", "younger"));
        await c.ApplyAsync(younger.TxId, "queue:events", Ops.Enqueue("q", "younger"));

        // The older transaction wounds the younger holder (not prepared) and takes the lock.
        await c.ApplyAsync(older.TxId, "kv:users", Ops.Put("hot", "older"));
        var youngerOutcome = await c.CommitAsync(younger.TxId);
        var olderOutcome = await c.CommitAsync(older.TxId);
        await c.DrainAsync();

        Assert.True(youngerOutcome.IsDefinitelyAborted, youngerOutcome.ToString());
        Assert.True(olderOutcome.IsCommitted, olderOutcome.ToString());
        Assert.Equal("older", (await cluster.ReadAsync("kv:users", Ops.Get("hot"))).AsString());
        Assert.Equal(0L, (await cluster.ReadAsync("queue:events", Ops.Size("q"))).AsInt64());
    }

    [Fact]
    public async Task Batch_AcrossTwoNodes_CommitsAtomicallyWithResults()
    {
        await using var cluster = new CoordinationCluster();
        await cluster.Coordinator.RecoverAsync();
        var c = cluster.Coordinator;

        var result = await c.ExecuteBatchAsync(
        [
            new BatchOperation("kv:users", Ops.Put("b1", 1L)),
            new BatchOperation("queue:events", Ops.Enqueue("batch", "x")),
            new BatchOperation("kv:users", Ops.Get("b1")),
        ]);
        await c.DrainAsync();

        Assert.True(result.Outcome.IsCommitted, result.Outcome.ToString());
        Assert.Equal(3, result.Results.Count);
        Assert.Equal(1L, result.Results[2].AsInt64());
        Assert.NotNull(c.GetStatus(result.TxId)!.Decision);
        Assert.Equal(1L, (await cluster.ReadAsync("kv:users", Ops.Get("b1"))).AsInt64());
        Assert.Equal(1L, (await cluster.ReadAsync("queue:events", Ops.Size("batch"))).AsInt64());
        Assert.Empty(cluster.DecisionLog.GetUnfinished());

        // One prepare round and one decision write were timed (/metrics histograms).
        Assert.Equal(1, c.PrepareLatency.Count);
        Assert.Equal(1, c.DecisionLatency.Count);
    }

    [Fact]
    public async Task Batch_OnOneResource_CommitsInOnePhase()
    {
        await using var cluster = new CoordinationCluster();
        await cluster.Coordinator.RecoverAsync();
        var result = await cluster.Coordinator.ExecuteBatchAsync([new BatchOperation("kv:users", Ops.Put("solo", 1L))]);

        Assert.True(result.Outcome.IsCommitted, result.Outcome.ToString());
        Assert.Null(cluster.Coordinator.GetStatus(result.TxId)!.Decision);
        Assert.Equal(1L, (await cluster.ReadAsync("kv:users", Ops.Get("solo"))).AsInt64());
    }

    [Fact]
    public async Task Batch_WithAFailingOperation_AbortsAndWritesNothing()
    {
        await using var cluster = new CoordinationCluster();
        await cluster.Coordinator.RecoverAsync();
        await cluster.InitializePointsAsync(10);
        var c = cluster.Coordinator;

        var result = await c.ExecuteBatchAsync(
        [
            new BatchOperation("kv:users", Ops.Put("paid", true)),
            new BatchOperation("resource:points", Ops.Transfer("system", "dave", "50")),
        ]);
        await c.DrainAsync();

        Assert.True(result.Outcome.IsDefinitelyAborted, result.Outcome.ToString());
        Assert.Contains(ErrorCodes.InsufficientFunds, result.Outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(ErrorCodes.InsufficientFunds, result.Outcome.Code);
        Assert.Empty(result.Results);
        Assert.True((await cluster.ReadAsync("kv:users", Ops.Get("paid"))).IsNull);
        Assert.Empty(cluster.Engine("kv:users").GetPrepared());
    }

    [Fact]
    public async Task Commit_WhenPhaseTwoIsLostAndTheParticipantRestarts_ParticipantLearnsCommitByAsking()
    {
        FaultyTransport? faulty = null;
        await using var cluster = new CoordinationCluster(wrap: t => faulty = new FaultyTransport(t));
        await cluster.Coordinator.RecoverAsync();
        var c = cluster.Coordinator;
        faulty!.Fail = (node, kind) => node == "n2" && kind == "commit";

        var tx = c.Begin();
        await c.ApplyAsync(tx.TxId, "kv:users", Ops.Put("k", "v"));
        await c.ApplyAsync(tx.TxId, "queue:events", Ops.Enqueue("q", "v"));
        var outcome = await c.CommitAsync(tx.TxId);
        Assert.True(outcome.IsCommitted, outcome.ToString());

        await cluster.RestartNodeAsync("n2");
        var prepared = Assert.Single(cluster.Engine("queue:events").GetPrepared());
        Assert.Equal(tx.TxId, prepared.Id);
        Assert.Equal("coordinator", prepared.Coordinator);
        Assert.Equal(1, await cluster.Host("n2").ResolvePreparedAsync(all: false, default));

        Assert.Empty(cluster.Engine("queue:events").GetPrepared());
        Assert.Equal(1L, (await cluster.ReadAsync("queue:events", Ops.Size("q"))).AsInt64());
        Assert.Equal(TransactionState.Committing, c.GetStatus(tx.TxId)!.State);

        // Once the network heals, phase two completes (idempotent at the participant) and END is written.
        faulty.Fail = (_, _) => false;
        await c.DrainAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(TransactionState.Committed, c.GetStatus(tx.TxId)!.State);
        Assert.Empty(cluster.DecisionLog.GetUnfinished());
    }

    [Fact]
    public async Task Commit_WhenTheDecisionLogFails_IsInDoubtThenPresumedAbortedAfterRestart()
    {
        await using var cluster = new CoordinationCluster();
        await cluster.StopCoordinatorAsync();
        cluster.WrapLog = log => new FailingDecisionLog(log);
        cluster.StartCoordinator();
        await cluster.Coordinator.RecoverAsync();
        var c = cluster.Coordinator;

        var tx = c.Begin();
        await c.ApplyAsync(tx.TxId, "kv:users", Ops.Put("doubt", 1L));
        await c.ApplyAsync(tx.TxId, "queue:events", Ops.Enqueue("doubt", 1L));
        var outcome = await c.CommitAsync(tx.TxId);

        // Never "aborted": the coordinator cannot know whether the record reached the disk.
        Assert.True(outcome.IsInDoubt, outcome.ToString());
        Assert.Equal((1L, 0L), (c.Outcomes.InDoubt, c.Outcomes.Committed));
        Assert.Equal(TransactionState.InDoubt, c.GetStatus(tx.TxId)!.State);
        Assert.Single(c.List(TransactionState.InDoubt));
        Assert.Equal(DecisionAnswerKind.Pending, c.QueryDecision(tx.TxId).Kind);
        Assert.Equal(0, await cluster.Host("n1").ResolvePreparedAsync(all: true, default));
        Assert.Single(cluster.Engine("kv:users").GetPrepared());

        // The restarted coordinator finds no decision and the transaction is not active there: presumed abort.
        await cluster.StopCoordinatorAsync();
        cluster.WrapLog = null;
        cluster.StartCoordinator();
        await cluster.Coordinator.RecoverAsync();
        Assert.Null(cluster.Coordinator.GetStatus(tx.TxId));
        Assert.Equal(DecisionAnswerKind.Aborted, cluster.Coordinator.QueryDecision(tx.TxId).Kind);
        Assert.Equal(1, await cluster.Host("n1").ResolvePreparedAsync(all: true, default));
        Assert.Equal(1, await cluster.Host("n2").ResolvePreparedAsync(all: true, default));
        Assert.True((await cluster.ReadAsync("kv:users", Ops.Get("doubt"))).IsNull);
        Assert.Equal(0L, (await cluster.ReadAsync("queue:events", Ops.Size("doubt"))).AsInt64());
    }

    [Fact]
    public async Task Recover_AfterCoordinatorRestartBetweenDecisionAndPhaseTwo_RedrivesCommitAndEnds()
    {
        FaultyTransport? faulty = null;
        await using var cluster = new CoordinationCluster(wrap: t => faulty = new FaultyTransport(t));
        await cluster.Coordinator.RecoverAsync();
        faulty!.Fail = (_, kind) => kind == "commit";

        var c = cluster.Coordinator;
        var tx = c.Begin();
        await c.ApplyAsync(tx.TxId, "kv:users", Ops.Put("redrive", 1L));
        await c.ApplyAsync(tx.TxId, "queue:events", Ops.Enqueue("redrive", 1L));
        Assert.True((await c.CommitAsync(tx.TxId)).IsCommitted);
        await cluster.StopCoordinatorAsync();

        faulty.Fail = (_, _) => false;
        cluster.StartCoordinator();
        Assert.Equal(DecisionAnswerKind.Pending, cluster.Coordinator.QueryDecision(tx.TxId).Kind);
        Assert.Equal(1, await cluster.Coordinator.RecoverAsync());
        Assert.Equal(DecisionAnswerKind.Committed, cluster.Coordinator.QueryDecision(tx.TxId).Kind);
        await cluster.Coordinator.DrainAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(TransactionState.Committed, cluster.Coordinator.GetStatus(tx.TxId)!.State);
        Assert.Empty(cluster.DecisionLog.GetUnfinished());
        Assert.Equal(1L, (await cluster.ReadAsync("kv:users", Ops.Get("redrive"))).AsInt64());
        Assert.Equal(1L, (await cluster.ReadAsync("queue:events", Ops.Size("redrive"))).AsInt64());
    }

    [Fact]
    public async Task Apply_WhenTheNodeIsUnreachable_AbortsTheTransaction()
    {
        await using var cluster = new CoordinationCluster();
        var c = cluster.Coordinator;
        var tx = c.Begin();
        await c.ApplyAsync(tx.TxId, "kv:users", Ops.Put("a", 1L));
        cluster.Network.Unregister("n2");
        await Assert.ThrowsAsync<CohortException>(async () => await c.ApplyAsync(tx.TxId, "queue:events", Ops.Enqueue("q", 1L)));

        Assert.Equal(TransactionState.Aborted, c.GetStatus(tx.TxId)!.State);
        Assert.True((await c.CommitAsync(tx.TxId)).IsDefinitelyAborted);
    }

    [Fact]
    public async Task Apply_ToAnUnplacedResource_FailsWithoutAbortingTheTransaction()
    {
        await using var cluster = new CoordinationCluster();
        var c = cluster.Coordinator;
        var tx = c.Begin();
        var error = await Assert.ThrowsAsync<CohortException>(async () => await c.ApplyAsync(tx.TxId, "kv:nowhere", Ops.Put("a", 1L)));
        Assert.Equal(ErrorCodes.UnknownResource, error.Code);
        Assert.Equal(TransactionState.Active, c.GetStatus(tx.TxId)!.State);
    }

    [Fact]
    public async Task Batch_WithAnUnplacedResource_FailsAndAborts()
    {
        await using var cluster = new CoordinationCluster();
        var c = cluster.Coordinator;
        var error = await Assert.ThrowsAsync<CohortException>(async () => await c.ExecuteBatchAsync(
        [
            new BatchOperation("kv:users", Ops.Put("never", 1L)),
            new BatchOperation("kv:nowhere", Ops.Put("never", 1L)),
        ]));

        Assert.Equal(ErrorCodes.UnknownResource, error.Code);
        Assert.Empty(c.List(TransactionState.Active));
        Assert.Single(c.List(TransactionState.Aborted));
        Assert.True((await cluster.ReadAsync("kv:users", Ops.Get("never"))).IsNull);
    }

    [Fact]
    public async Task Begin_WithALabelOver256Characters_IsRefused_AndNothingIsKept()
    {
        await using var cluster = new CoordinationCluster();
        var c = cluster.Coordinator;
        Assert.Throws<ArgumentOutOfRangeException>(() => c.Begin(label: new string('x', Coordinator.MaxLabelLength + 1)));
        Assert.Empty(c.List());
        var tx = c.Begin(label: new string('x', Coordinator.MaxLabelLength));
        Assert.Equal(Coordinator.MaxLabelLength, c.GetStatus(tx.TxId)!.Label!.Length);
    }

    [Fact]
    public async Task List_AfterACursor_PagesInTxIdOrder_ThroughLiveAndFinishedTransactions()
    {
        await using var cluster = new CoordinationCluster();
        var c = cluster.Coordinator;
        var ids = new List<TxId>();
        for (var i = 0; i < 7; i++)
        {
            var tx = c.Begin();
            ids.Add(tx.TxId);
            if (i % 2 == 0)
            {
                await c.CommitAsync(tx.TxId);
            }
        }

        var seen = new List<TxId>();
        TxId? after = null;
        while (c.List(null, 3, after) is { Count: > 0 } page)
        {
            Assert.True(page.Count <= 3);
            seen.AddRange(page.Select(s => s.TxId));
            after = page[^1].TxId;
        }

        Assert.Equal(ids.Order(), seen);
        Assert.Equal(ids.Skip(4).Where((_, i) => i % 2 == 1), c.List(TransactionState.Active, 10, ids[3]).Select(s => s.TxId));
    }
}
