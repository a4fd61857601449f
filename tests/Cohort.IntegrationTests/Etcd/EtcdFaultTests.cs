using System.Diagnostics;
using Cohort.Core;
using Cohort.Etcd;
using Cohort.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests.Etcd;

/// <summary>The etcd backend while etcd members die, pause and come back; each test owns its 3-member cluster.</summary>
[Collection(EtcdCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Category", "Etcd")]
[Trait("Category", "Slow")]
public sealed class EtcdFaultTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ElectionTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task OneOfThreeMembersKilled_DecisionWritesStillSucceed()
    {
        await using var cluster = await EtcdCluster.StartAsync(3);
        await using var node = await EtcdNode.StartLeaderAsync(cluster.Endpoints, ElectionTimeout);
        var prefix = node.Prefix;
        await using var log = await node.OpenLogAsync();
        await log.WriteCommitAsync(EtcdAssert.NewDecision(node.Leadership.Epoch), CancellationToken.None);

        await cluster.KillAsync(0);
        var watch = Stopwatch.StartNew();
        for (var round = 0; round < 10; round++)
        {
            var batch = Enumerable.Range(0, 10).Select(i => EtcdAssert.NewDecision(node.Leadership.Epoch, (round * 10) + i)).ToList();
            await Task.WhenAll(batch.Select(d => log.WriteCommitAsync(d, CancellationToken.None).AsTask()));
        }

        output.WriteLine($"100 decisions with one member dead: {watch.ElapsedMilliseconds} ms, {log.CommitTransactions} transactions in all");
        Assert.Equal(101, (await EtcdAssert.DecisionKeysAsync(node.Client, prefix)).Count);
        await EtcdAssert.UntilAsync(() => node.Leadership.IsLeader, ElectionTimeout, "the node to lead with two members");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OneOfThreeMembersPaused_DecisionWritesStillSucceed(bool pauseTheRaftLeader)
    {
        await using var cluster = await EtcdCluster.StartAsync(3);
        await using var node = await EtcdNode.StartLeaderAsync(cluster.Endpoints, ElectionTimeout);
        var prefix = node.Prefix;
        await using var log = await node.OpenLogAsync();

        // A stopped member keeps its sockets open and answers nothing: calls routed to it must be hedged elsewhere. A
        // stopped raft leader stalls every member until the other two elect a new one (about a second): the write
        // budget outlasts that.
        var raftLeader = await cluster.RaftLeaderAsync();
        var paused = pauseTheRaftLeader ? raftLeader : (raftLeader + 1) % 3;
        cluster.Pause(paused);
        var watch = Stopwatch.StartNew();
        var slowest = TimeSpan.Zero;
        for (var i = 0; i < 20; i++)
        {
            var started = watch.Elapsed;
            await log.WriteCommitAsync(EtcdAssert.NewDecision(node.Leadership.Epoch, i), CancellationToken.None);
            slowest = watch.Elapsed - started > slowest ? watch.Elapsed - started : slowest;
        }

        output.WriteLine($"20 sequential decisions with member {paused} paused (raft leader {raftLeader}): {watch.ElapsedMilliseconds} ms, the slowest {slowest.TotalMilliseconds:0} ms, {log.CommitTransactions} transactions");
        Assert.Equal(20, (await EtcdAssert.DecisionKeysAsync(node.Client, prefix)).Count);
        Assert.True(node.Leadership.IsLeader, "the node kept leading: its keep-alives went around the paused member");
        cluster.Resume(paused);
        await cluster.WaitHealthyAsync();
    }

    [Fact]
    public async Task TwoOfThreeMembersKilled_WritesFailTransientlyWithinTheBudget_AndSucceedAfterTheRestart()
    {
        await using var cluster = await EtcdCluster.StartAsync(3);
        await using var node = await EtcdNode.StartLeaderAsync(cluster.Endpoints, ElectionTimeout);
        var prefix = node.Prefix;
        await using var log = await node.OpenLogAsync();
        var before = EtcdAssert.NewDecision(node.Leadership.Epoch);
        await log.WriteCommitAsync(before, CancellationToken.None);

        await cluster.KillAsync(0);
        await cluster.KillAsync(1);

        // No quorum: a write fails with a transient error, within the write budget (plus one attempt's slack).
        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<CohortException>(async () => await log.WriteCommitAsync(EtcdAssert.NewDecision(node.Leadership.Epoch, 1), CancellationToken.None));
        var failedAfter = watch.Elapsed;
        output.WriteLine($"without quorum the write failed after {failedAfter.TotalMilliseconds:0} ms: {error.Code}: {error.Message}");
        Assert.Equal(ErrorCodes.Unavailable, error.Code);
        Assert.True(error.IsTransient);
        Assert.True(failedAfter < EtcdDecisionLogOptions.DefaultWriteTimeout + EtcdDecisionLogOptions.DefaultRequestTimeout, $"took {failedAfter}");

        // Without quorum the keep-alives fail too: the node stops leading by its own deadline.
        var stepDown = await EtcdAssert.UntilAsync(() => !node.Leadership.IsLeader, EtcdNode.Ttl + TimeSpan.FromSeconds(2), "the node to stop leading without quorum");
        output.WriteLine($"stopped leading {stepDown.TotalMilliseconds:0} ms after the write failed");

        cluster.Restart(0);
        cluster.Restart(1);
        await cluster.WaitHealthyAsync();
        var back = await EtcdAssert.UntilAsync(() => node.Leadership.IsLeader, ElectionTimeout, "the node to lead again");
        output.WriteLine($"leading again {back.TotalMilliseconds:0} ms after etcd was healthy, epoch {node.Leadership.Epoch}");
        var after = EtcdAssert.NewDecision(node.Leadership.Epoch, 2);
        await log.WriteCommitAsync(after, CancellationToken.None);

        // The failed write may yet have landed (unavailable means "may or may not have run": the surviving member can
        // hold it in its raft log and commit it once the quorum is back); the two confirmed ones certainly did.
        var stored = (await EtcdAssert.DecisionKeysAsync(node.Client, prefix)).Select(kv => kv.Key.ToStringUtf8()).ToList();
        Assert.Contains($"{prefix}/decisions/{before.TxId}", stored);
        Assert.Contains($"{prefix}/decisions/{after.TxId}", stored);
        Assert.InRange(stored.Count, 2, 3);
    }
}
