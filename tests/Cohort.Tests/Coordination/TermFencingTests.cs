using System.Collections.Concurrent;
using Cohort.Coordination;
using Cohort.Protocol;

namespace Cohort.Tests.Coordination;

/// <summary>
/// Every participant request carries the resource's configuration term as the coordinator's placement knows it when it
/// is sent, and a participant that admits only another term refuses it without running it (what a replicated
/// resource's primary does, <c>ReplicatedResources.AdmitAsync</c>).
/// </summary>
public sealed class TermFencingTests
{
    [Fact]
    public async Task EveryRequest_CarriesThePlacementsTerm_ReadsAndDecisionsTold()
    {
        await using var cluster = new CoordinationCluster();
        await cluster.Coordinator.RecoverAsync();
        cluster.Terms["kv:users"] = 3;
        var seen = Record(cluster.Host("n1"), admitted: 3);

        var c = cluster.Coordinator;
        var tx = c.Begin(TimeSpan.FromSeconds(30));
        await c.ApplyAsync(tx.TxId, "kv:users", Ops.Put("user:a", "A"));
        await c.ApplyAsync(tx.TxId, "queue:events", Ops.Enqueue("q", "m"));
        Assert.True((await c.CommitAsync(tx.TxId)).IsCommitted);
        await c.DrainAsync();

        // Apply and prepare read the resource's state (a lease is needed); the commit only delivers the decision.
        Assert.Equal([("kv:users", 3L, true), ("kv:users", 3L, true), ("kv:users", 3L, false)], seen);
        Assert.Equal("A", (await cluster.ReadAsync("kv:users", Ops.Get("user:a"))).AsString());
    }

    [Fact]
    public async Task AnApplyAtAnotherTerm_IsRefusedUnrun_AndTheTransactionGoesOnOnceTheViewsAgree()
    {
        await using var cluster = new CoordinationCluster();
        await cluster.Coordinator.RecoverAsync();
        cluster.Terms["kv:users"] = 3;
        Record(cluster.Host("n1"), admitted: 4);

        var c = cluster.Coordinator;
        var tx = c.Begin(TimeSpan.FromSeconds(30));
        var refused = await Assert.ThrowsAsync<CohortException>(async () => await c.ApplyAsync(tx.TxId, "kv:users", Ops.Put("user:a", "A")));
        Assert.Equal(ErrorCodes.ConfigurationMoved, refused.Code);
        Assert.True(refused.IsTransient);

        // The coordinator's view catches up: the same transaction applies and commits.
        cluster.Terms["kv:users"] = 4;
        await c.ApplyAsync(tx.TxId, "kv:users", Ops.Put("user:a", "A"));
        Assert.True((await c.CommitAsync(tx.TxId)).IsCommitted);
        Assert.Equal("A", (await cluster.ReadAsync("kv:users", Ops.Get("user:a"))).AsString());
    }

    [Fact]
    public async Task APrimaryThatMovedAwayFromATransactionsWork_AbortsIt_Unavailable()
    {
        await using var cluster = new CoordinationCluster();
        await cluster.Coordinator.RecoverAsync();
        cluster.Terms["kv:users"] = 3;
        Record(cluster.Host("n1"), admitted: 3);
        var c = cluster.Coordinator;
        var tx = c.Begin(TimeSpan.FromSeconds(30));
        await c.ApplyAsync(tx.TxId, "kv:users", Ops.Put("user:a", "A"));

        // Term 4 puts the primary on n2: the put above is gone with n1's primary, so the transaction cannot commit.
        cluster.Terms["kv:users"] = 4;
        cluster.Moved["kv:users"] = "n2";
        var error = await Assert.ThrowsAsync<CohortException>(async () => await c.ApplyAsync(tx.TxId, "kv:users", Ops.Put("user:b", "B")));

        Assert.Equal(ErrorCodes.Unavailable, error.Code);
        Assert.Contains("primary moved from n1 to n2", error.Message, StringComparison.Ordinal);
        Assert.Equal(TransactionState.Aborted, c.GetStatus(tx.TxId)!.State);
    }

    [Fact]
    public async Task PhaseTwo_RefusedAtAnOldTerm_IsRetriedWithTheNewOne_AndDelivered()
    {
        await using var cluster = new CoordinationCluster();
        await cluster.Coordinator.RecoverAsync();
        cluster.Terms["kv:users"] = 3;
        var admitted = 3L;
        var refusedCommits = 0;
        cluster.Host("n1").Admit = (resource, term, reads, _) =>
        {
            if (resource != "kv:users")
            {
                return ValueTask.CompletedTask;
            }

            // The primary moves on to term 4 just as the commit arrives (it was prepared at term 3).
            if (!reads)
            {
                Interlocked.CompareExchange(ref admitted, 4, 3);
            }

            if (term == Interlocked.Read(ref admitted))
            {
                return ValueTask.CompletedTask;
            }

            Interlocked.Increment(ref refusedCommits);
            throw new CohortException(ErrorCodes.ConfigurationMoved, $"term {term} refused", isTransient: true);
        };

        var c = cluster.Coordinator;
        var tx = c.Begin(TimeSpan.FromSeconds(30));
        await c.ApplyAsync(tx.TxId, "kv:users", Ops.Put("user:a", "A"));
        await c.ApplyAsync(tx.TxId, "queue:events", Ops.Enqueue("q", "m"));
        Assert.True((await c.CommitAsync(tx.TxId)).IsCommitted);

        // Phase two keeps trying at the term placement gives, refused each time (bounded wait).
        for (var i = 0; i < 500 && Volatile.Read(ref refusedCommits) < 3; i++)
        {
            await Task.Delay(10);
        }

        Assert.True(Volatile.Read(ref refusedCommits) >= 3, $"{refusedCommits} commits refused");
        Assert.Contains(c.GetStatus(tx.TxId)!.Participants, p => p.Resource == "kv:users" && !p.Acknowledged);

        // The placement learns term 4: the next attempt carries it and is delivered.
        cluster.Terms["kv:users"] = 4;
        await c.DrainAsync();
        Assert.All(c.GetStatus(tx.TxId)!.Participants, p => Assert.True(p.Acknowledged));
        Assert.Equal("A", (await cluster.ReadAsync("kv:users", Ops.Get("user:a"))).AsString());
    }

    [Fact]
    public async Task AOnePhaseCommitWhoseAnswerWasLost_RefusedAtAnotherTermPastItsDeadline_IsAskedAgain_NotTakenAsAborted()
    {
        // The batch commits on its only participant, but its answer is lost; the coordinator asks with one-phase commits.
        // Past the deadline a refusal that says "nothing ran" would mean "not committed", but configuration_moved says
        // only that this attempt met another term (a primary changing hands): the commit may well be durable.
        await using var cluster = new CoordinationCluster(wrap: t => new LosesBatchAnswers(t));
        await cluster.Coordinator.RecoverAsync();
        cluster.Terms["kv:users"] = 3;
        var refuseDecisions = 1;
        var refused = 0;
        cluster.Host("n1").Admit = (resource, term, reads, _) =>
        {
            if (resource == "kv:users" && !reads && Volatile.Read(ref refuseDecisions) == 1)
            {
                Interlocked.Increment(ref refused);
                throw new CohortException(ErrorCodes.ConfigurationMoved, "term moving", isTransient: true);
            }

            return ValueTask.CompletedTask;
        };

        var c = cluster.Coordinator;
        var deadline = DateTimeOffset.UtcNow.AddSeconds(2);
        var result = await c.ExecuteBatchAsync([new BatchOperation("kv:users", Ops.Put("user:a", "A"))], TimeSpan.FromSeconds(2));
        Assert.True(result.Outcome.IsInDoubt, result.Outcome.ToString());

        // Refused past the deadline (bounded waits), then the views agree and the participant says it committed.
        for (var i = 0; i < 1000 && (Volatile.Read(ref refused) < 3 || DateTimeOffset.UtcNow < deadline.AddMilliseconds(500)); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(Volatile.Read(ref refused) >= 3, $"{refused} one-phase commits refused");
        Volatile.Write(ref refuseDecisions, 0);
        for (var i = 0; i < 500 && c.GetStatus(result.TxId)!.State == TransactionState.InDoubt; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(TransactionState.Committed, c.GetStatus(result.TxId)!.State);
        Assert.Equal("A", (await cluster.ReadAsync("kv:users", Ops.Get("user:a"))).AsString());
    }

    // Runs every batch, then loses its answer (the participant did the work; the coordinator cannot know).
    private sealed class LosesBatchAnswers(IParticipantTransport inner) : IParticipantTransport
    {
        public ValueTask<ApplyAnswer> ApplyAsync(string node, ApplyRequest request, CancellationToken cancellationToken) => inner.ApplyAsync(node, request, cancellationToken);

        public ValueTask<Vote> PrepareAsync(string node, PrepareRequest request, CancellationToken cancellationToken) => inner.PrepareAsync(node, request, cancellationToken);

        public async ValueTask<BatchPrepareResult> ApplyAndPrepareAsync(string node, BatchPrepareRequest request, CancellationToken cancellationToken)
        {
            await inner.ApplyAndPrepareAsync(node, request, cancellationToken);
            throw new IOException($"simulated: the answer from {node} was lost");
        }

        public ValueTask CommitAsync(string node, CommitRequest request, CancellationToken cancellationToken) => inner.CommitAsync(node, request, cancellationToken);

        public ValueTask<HlcTimestamp> CommitOnePhaseAsync(string node, OnePhaseCommitRequest request, CancellationToken cancellationToken) => inner.CommitOnePhaseAsync(node, request, cancellationToken);

        public ValueTask AbortAsync(string node, AbortRequest request, CancellationToken cancellationToken) => inner.AbortAsync(node, request, cancellationToken);
    }

    // Admits kv:users only at term `admitted`, recording what each admitted or refused request carried.
    private static ConcurrentQueue<(string Resource, long Term, bool Reads)> Record(ParticipantHost host, long admitted)
    {
        var seen = new ConcurrentQueue<(string, long, bool)>();
        host.Admit = (resource, term, reads, _) =>
        {
            if (resource != "kv:users")
            {
                return ValueTask.CompletedTask;
            }

            seen.Enqueue((resource, term, reads));
            return term == admitted
                ? ValueTask.CompletedTask
                : throw new CohortException(ErrorCodes.ConfigurationMoved, $"term {term} refused: the primary is at {admitted}", isTransient: true);
        };
        return seen;
    }
}
