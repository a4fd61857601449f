using System.Diagnostics;
using Cohort.Coordination;
using Cohort.Core;
using Cohort.Etcd;
using Cohort.IntegrationTests.Harness;
using Cohort.Protocol;
using Etcdserverpb;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests.Etcd;

/// <summary><see cref="EtcdDecisionLog"/> against a real 3-member etcd cluster.</summary>
[Collection(EtcdCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Category", "Etcd")]
public sealed class EtcdDecisionLogTests(EtcdFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan ElectionTimeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task WriteCommit_IsStoredInEtcdAndListed_AndWriteEndDeletesIt()
    {
        await using var node = await EtcdNode.StartLeaderAsync(fixture.Cluster.Endpoints, ElectionTimeout);
        var prefix = node.Prefix;
        await using var log = await node.OpenLogAsync();
        Assert.Empty(log.GetUnfinished());

        var decision = EtcdAssert.NewDecision(node.Leadership.Epoch);
        await log.WriteCommitAsync(decision, CancellationToken.None);

        EtcdAssert.Same(decision, Assert.Single(log.GetUnfinished()));
        var stored = Assert.Single(await EtcdAssert.DecisionKeysAsync(node.Client, prefix));
        Assert.Equal($"{prefix}/decisions/{decision.TxId}", stored.Key.ToStringUtf8());
        EtcdAssert.Same(decision, EtcdDecisionLog.Decode(prefix + "/decisions/", stored.Key.ToStringUtf8(), stored.Value));

        log.WriteEnd(decision.TxId);
        Assert.Empty(log.GetUnfinished());
        await Wait.UntilAsync(
            async () => (await EtcdAssert.DecisionKeysAsync(node.Client, prefix)).Count == 0,
            TimeSpan.FromSeconds(10),
            "the END to delete the decision key");
    }

    [Fact]
    public async Task TheSameDecisionWrittenAgain_Succeeds_ButNotOverAnAbortOrAnotherDecision()
    {
        // A retried or hedged attempt finds its own keys already there: holding exactly its values, it was written.
        await using var node = await EtcdNode.StartLeaderAsync(fixture.Cluster.Endpoints, ElectionTimeout);
        await using var log = await node.OpenLogAsync();
        var decision = EtcdAssert.NewDecision(node.Leadership.Epoch);
        await log.WriteCommitAsync(decision, CancellationToken.None);
        await log.WriteCommitAsync(decision, CancellationToken.None);
        EtcdAssert.Same(decision, Assert.Single(log.GetUnfinished()));

        // Another decision under that key (other commit timestamp) is not this write: refused, settled from the log.
        var other = decision with { CommitTimestamp = new HlcTimestamp(decision.CommitTimestamp.Value + 1) };
        var refused = await Assert.ThrowsAsync<CohortException>(async () => await log.WriteCommitAsync(other, CancellationToken.None));
        Assert.Equal(ErrorCodes.Unavailable, refused.Code);

        // Nor over an abort a leader recorded while settling the transaction.
        var settled = EtcdAssert.NewDecision(node.Leadership.Epoch, 1);
        Assert.Equal(DecisionAnswerKind.Aborted, (await log.SettleAsync(settled.TxId, node.Leadership.Epoch, CancellationToken.None)).Kind);
        var afterAbort = await Assert.ThrowsAsync<CohortException>(async () => await log.WriteCommitAsync(settled, CancellationToken.None));
        Assert.Equal(ErrorCodes.Unavailable, afterAbort.Code);
        Assert.Equal(DecisionAnswerKind.Aborted, (await log.ReadAsync(settled.TxId, CancellationToken.None)).Kind);
    }

    [Fact]
    public async Task TwoHundredConcurrentWrites_AreGroupCommittedInFarFewerTransactions()
    {
        await using var node = await EtcdNode.StartLeaderAsync(fixture.Cluster.Endpoints, ElectionTimeout);
        var prefix = node.Prefix;
        await using var log = await node.OpenLogAsync();
        var decisions = Enumerable.Range(0, 200).Select(i => EtcdAssert.NewDecision(node.Leadership.Epoch, i)).ToList();

        var watch = Stopwatch.StartNew();
        await Task.WhenAll(decisions.Select(d => Task.Run(async () => await log.WriteCommitAsync(d, CancellationToken.None))));
        var elapsed = watch.Elapsed;

        var transactions = log.CommitTransactions;
        output.WriteLine($"200 concurrent decisions: {transactions} etcd transactions, {elapsed.TotalMilliseconds:0} ms");
        Assert.True(transactions < 200 / 4, $"{transactions} transactions for 200 writes");
        Assert.Equal(200, log.GetUnfinished().Count);
        var stored = await EtcdAssert.DecisionKeysAsync(node.Client, prefix);
        Assert.Equal(decisions.Select(d => d.TxId.ToString()).Order(), stored.Select(kv => kv.Key.ToStringUtf8()[(prefix.Length + "/decisions/".Length)..]).Order());
    }

    [Fact]
    public async Task DeposedLeader_WriteFailsWithNoLeader_AndWritesNothing()
    {
        await using var a = await EtcdNode.StartLeaderAsync(fixture.Cluster.Endpoints, ElectionTimeout);
        var prefix = a.Prefix;
        await using var b = EtcdNode.Start(fixture.Cluster.Endpoints, prefix, "node-b");
        await using var logA = await a.OpenLogAsync();
        var epochA = a.Leadership.Epoch;

        // a's lease ends in etcd (as when it expires while a is paused): the key goes with it and b takes over, while a
        // may still believe it leads.
        await a.Client.GetConnection().LeaseClient.LeaseRevokeAsync(new LeaseRevokeRequest { ID = a.Leadership.LeaseId }, deadline: DateTime.UtcNow.AddSeconds(5));
        await EtcdAssert.UntilAsync(() => b.Leadership.IsLeader, 3 * EtcdNode.Ttl, "b to lead");
        Assert.True(b.Leadership.Epoch > epochA);

        var stale = EtcdAssert.NewDecision(epochA);
        var error = await Assert.ThrowsAsync<CohortException>(async () => await logA.WriteCommitAsync(stale, CancellationToken.None));
        Assert.Equal(ErrorCodes.NoLeader, error.Code);
        Assert.True(error.IsTransient);
        Assert.True(error.NeverRan);
        output.WriteLine(error.Message);
        Assert.Empty(logA.GetUnfinished());
        Assert.Empty(await EtcdAssert.DecisionKeysAsync(a.Client, prefix));

        // A decision of b's epoch written through a's log is refused too: the leader key is not a's.
        var borrowed = EtcdAssert.NewDecision(b.Leadership.Epoch);
        error = await Assert.ThrowsAsync<CohortException>(async () => await logA.WriteCommitAsync(borrowed, CancellationToken.None));
        Assert.Equal(ErrorCodes.NoLeader, error.Code);

        // The real leader writes.
        await using var logB = await b.OpenLogAsync();
        var fresh = EtcdAssert.NewDecision(b.Leadership.Epoch);
        await logB.WriteCommitAsync(fresh, CancellationToken.None);
        var stored = Assert.Single(await EtcdAssert.DecisionKeysAsync(b.Client, prefix));
        Assert.Equal($"{prefix}/decisions/{fresh.TxId}", stored.Key.ToStringUtf8());
    }

    [Fact]
    public async Task DecisionOfAnOlderEpochOfTheSameNode_IsRefused()
    {
        await using var a = await EtcdNode.StartLeaderAsync(fixture.Cluster.Endpoints, ElectionTimeout);
        var prefix = a.Prefix;
        await using var log = await a.OpenLogAsync();
        var oldEpoch = a.Leadership.Epoch;

        // a loses its key and wins it back: same holder, newer epoch. A decision taken under the old epoch may have been
        // overtaken meanwhile (another leader could have aborted the transaction), so it must not be recorded.
        await a.Client.DeleteAsync(prefix + "/leader");
        await EtcdAssert.UntilAsync(() => a.Leadership.Epoch > oldEpoch && a.Leadership.IsLeader, 3 * EtcdNode.Ttl, "a to lead again");
        var error = await Assert.ThrowsAsync<CohortException>(async () => await log.WriteCommitAsync(EtcdAssert.NewDecision(oldEpoch), CancellationToken.None));
        Assert.Equal(ErrorCodes.NoLeader, error.Code);
        Assert.Empty(await EtcdAssert.DecisionKeysAsync(a.Client, prefix));
        await log.WriteCommitAsync(EtcdAssert.NewDecision(a.Leadership.Epoch), CancellationToken.None);
        Assert.Single(await EtcdAssert.DecisionKeysAsync(a.Client, prefix));
    }

    [Fact]
    public async Task Reopen_ListsTheUnfinishedDecisions()
    {
        await using var a = await EtcdNode.StartLeaderAsync(fixture.Cluster.Endpoints, ElectionTimeout);
        var prefix = a.Prefix;
        var decisions = Enumerable.Range(0, 3).Select(i => EtcdAssert.NewDecision(a.Leadership.Epoch, i)).ToList();
        await using (var log = await a.OpenLogAsync())
        {
            foreach (var decision in decisions)
            {
                await log.WriteCommitAsync(decision, CancellationToken.None);
            }

            log.WriteEnd(decisions[1].TxId);
        }

        // Another node's view, through its own client (as a new leader after a failover).
        await using var b = EtcdNode.Start(fixture.Cluster.Endpoints, prefix, "node-b");
        await using var reopened = await b.OpenLogAsync();
        var unfinished = reopened.GetUnfinished().OrderBy(d => d.CommitTimestamp).ToList();
        Assert.Equal(2, unfinished.Count);
        EtcdAssert.Same(decisions[0], unfinished[0]);
        EtcdAssert.Same(decisions[2], unfinished[1]);
    }

    /// <summary>
    /// A decision a new leader adopted from its predecessor and finished is kept (bound to a retention lease) rather
    /// than deleted: the predecessor, alive and deposed and holding the transaction in doubt (its write's answer was
    /// lost), reads it and learns the commit — where "absent" would leave it in doubt, or let it record an abort as
    /// leader. Found by EtcdPartitionTests (the master cut off from etcd right after its write landed).
    /// </summary>
    [Fact]
    public async Task AdoptedDecision_Ended_IsStillReadAsCommitted_AndNotReloadedAsUnfinished()
    {
        await using var a = await EtcdNode.StartLeaderAsync(fixture.Cluster.Endpoints, ElectionTimeout);
        var prefix = a.Prefix;
        await using var logA = await a.OpenLogAsync();
        var adopted = EtcdAssert.NewDecision(a.Leadership.Epoch, 0);
        await logA.WriteCommitAsync(adopted, CancellationToken.None);

        // b opens the log (as a new leader does), finds a's decision, finishes it, and ends it; its own decision is deleted at END.
        await using var b = EtcdNode.Start(fixture.Cluster.Endpoints, prefix, "node-b");
        await using var logB = await b.OpenLogAsync();
        EtcdAssert.Same(adopted, Assert.Single(logB.GetUnfinished()));
        var own = EtcdAssert.NewDecision(a.Leadership.Epoch, 1);
        await logA.WriteCommitAsync(own, CancellationToken.None);
        logB.WriteEnd(adopted.TxId);
        logA.WriteEnd(own.TxId);
        Assert.Empty(logB.GetUnfinished());
        await Wait.UntilAsync(
            async () => await EtcdAssert.DecisionKeysAsync(b.Client, prefix) is [{ Lease: not 0 } kept] && kept.Key.ToStringUtf8().EndsWith(adopted.TxId.ToString(), StringComparison.Ordinal),
            TimeSpan.FromSeconds(10),
            "the adopted decision kept under a lease and the other one deleted");

        var read = await logA.ReadAsync(adopted.TxId, CancellationToken.None);
        Assert.Equal(DecisionAnswerKind.Committed, read.Kind);
        Assert.Equal(adopted.CommitTimestamp, read.CommitTimestamp);
        Assert.Equal(DecisionAnswerKind.Committed, (await logA.SettleAsync(adopted.TxId, a.Leadership.Epoch, CancellationToken.None)).Kind);
        Assert.Equal(DecisionAnswerKind.Pending, (await logA.ReadAsync(own.TxId, CancellationToken.None)).Kind);

        await using var reopened = await b.OpenLogAsync();
        Assert.Empty(reopened.GetUnfinished());
    }

    [Fact]
    public async Task Reopen_PagesThroughManyDecisions()
    {
        await using var a = await EtcdNode.StartLeaderAsync(fixture.Cluster.Endpoints, ElectionTimeout);
        var prefix = a.Prefix;
        var decisions = Enumerable.Range(0, 1100).Select(i => EtcdAssert.NewDecision(a.Leadership.Epoch, i)).ToList();
        await using (var log = await a.OpenLogAsync())
        {
            await Task.WhenAll(decisions.Select(d => log.WriteCommitAsync(d, CancellationToken.None).AsTask()));
        }

        await using var reopened = await a.OpenLogAsync();
        Assert.Equal(decisions.Select(d => d.TxId).Order(), reopened.GetUnfinished().Select(d => d.TxId).Order());
    }
}
