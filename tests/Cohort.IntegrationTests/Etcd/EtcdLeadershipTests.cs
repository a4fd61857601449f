using System.Diagnostics;
using Cohort.IntegrationTests.Harness;
using Etcdserverpb;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests.Etcd;

/// <summary><see cref="Cohort.Etcd.EtcdLeadership"/> against a real 3-member etcd cluster.</summary>
[Collection(EtcdCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Category", "Etcd")]
public sealed class EtcdLeadershipTests(EtcdFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan ThreeTtls = 3 * EtcdNode.Ttl;

    [Fact]
    public async Task TwoCandidates_ExactlyOneLeads_AndTheEpochIsTheLeaderKeysCreateRevision()
    {
        var prefix = EtcdNode.NewPrefix();
        var watch = Stopwatch.StartNew();
        await using var a = EtcdNode.Start(fixture.Cluster.Endpoints, prefix, "http://127.0.0.1:7101");
        await using var b = EtcdNode.Start(fixture.Cluster.Endpoints, prefix, "http://127.0.0.1:7102");
        var leader = await EtcdAssert.LeaderAmongAsync(TimeSpan.FromSeconds(15), a, b);
        output.WriteLine($"first election: {watch.ElapsedMilliseconds} ms, {leader.Name} leads at epoch {leader.Leadership.Epoch}");
        var follower = leader == a ? b : a;
        await EtcdAssert.UntilAsync(
            () => follower.Leadership.Leader == leader.Name && follower.Leadership.Epoch == leader.Leadership.Epoch,
            TimeSpan.FromSeconds(10),
            "the follower to learn the leader from the key");

        // Over several keep-alive rounds exactly one leads, and it stays the same one.
        var renewals = leader.Leadership.KeepAlivesConfirmed;
        await EtcdAssert.UntilAsync(
            () => leader.Leadership.KeepAlivesConfirmed >= renewals + 3,
            TimeSpan.FromSeconds(10),
            "three more confirmed keep-alives",
            () =>
            {
                Assert.True(leader.Leadership.IsLeader, "the leader stopped leading while its keep-alives were confirmed");
                Assert.False(follower.Leadership.IsLeader, "both candidates lead");
            });

        var key = await EtcdAssert.LeaderKeyAsync(a.Client, prefix);
        Assert.NotNull(key);
        Assert.Equal(leader.Name, key.Value.ToStringUtf8());
        Assert.Equal(key.CreateRevision, leader.Leadership.Epoch);
        Assert.Equal(key.CreateRevision, follower.Leadership.Epoch);
        Assert.Equal(leader.Leadership.LeaseId, key.Lease);
        Assert.Equal(prefix + "/leader", leader.Leadership.LeaderKey);
    }

    [Fact]
    public async Task IneligibleCandidate_NeverTakesAFreeLeaderKey_AndLeadsOnceEligible()
    {
        var prefix = EtcdNode.NewPrefix();
        var eligible = false;
        await using var a = EtcdNode.Start(fixture.Cluster.Endpoints, prefix, "not-yet-a-member", () => Volatile.Read(ref eligible));

        // Two TTLs with the key free: it campaigns (its recheck runs every TTL) but never takes it.
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < 2 * EtcdNode.Ttl)
        {
            Assert.False(a.Leadership.IsLeader, "an ineligible candidate leads");
            Assert.Null(await EtcdAssert.LeaderKeyAsync(a.Client, prefix));
            await Task.Delay(100);
        }

        Volatile.Write(ref eligible, true);
        var took = await EtcdAssert.UntilAsync(() => a.Leadership.IsLeader, ThreeTtls, "the candidate to lead once eligible");
        output.WriteLine($"led {took.TotalMilliseconds:0} ms after it became eligible");
        Assert.Equal("not-yet-a-member", (await EtcdAssert.LeaderKeyAsync(a.Client, prefix))!.Value.ToStringUtf8());
    }

    [Fact]
    public async Task LeaderStops_TheOtherLeadsWithinThreeTtls_WithALargerEpoch()
    {
        var prefix = EtcdNode.NewPrefix();
        await using var a = EtcdNode.Start(fixture.Cluster.Endpoints, prefix, "node-a");
        await using var b = EtcdNode.Start(fixture.Cluster.Endpoints, prefix, "node-b");
        var leader = await EtcdAssert.LeaderAmongAsync(TimeSpan.FromSeconds(15), a, b);
        var follower = leader == a ? b : a;
        var oldEpoch = leader.Leadership.Epoch;

        var watch = Stopwatch.StartNew();
        await leader.DisposeAsync();
        var resigned = watch.Elapsed;
        var took = await EtcdAssert.UntilAsync(() => follower.Leadership.IsLeader, ThreeTtls, "the other candidate to lead");
        output.WriteLine($"resignation took {resigned.TotalMilliseconds:0} ms; {follower.Name} led {took.TotalMilliseconds:0} ms after it (bound {ThreeTtls.TotalMilliseconds:0} ms)");

        Assert.True(follower.Leadership.Epoch > oldEpoch, $"new epoch {follower.Leadership.Epoch} is not above {oldEpoch}");
        var key = await EtcdAssert.LeaderKeyAsync(follower.Client, prefix);
        Assert.NotNull(key);
        Assert.Equal(follower.Name, key.Value.ToStringUtf8());
        Assert.Equal(key.CreateRevision, follower.Leadership.Epoch);
    }

    [Fact]
    public async Task LeaderWhoseKeepAlivesStop_StopsLeadingWhileItsLeaseStillStands_ThenTheOtherLeadsWithinThreeTtls()
    {
        var prefix = EtcdNode.NewPrefix();
        await using var a = EtcdNode.Start(fixture.Cluster.Endpoints, prefix, "node-a");
        await using var b = EtcdNode.Start(fixture.Cluster.Endpoints, prefix, "node-b");
        var leader = await EtcdAssert.LeaderAmongAsync(TimeSpan.FromSeconds(15), a, b);
        var follower = leader == a ? b : a;
        var oldEpoch = leader.Leadership.Epoch;
        var oldLease = leader.Leadership.LeaseId;

        // As if the leader process were paused or cut off from etcd: it sends no keep-alive from now on.
        leader.Leadership.Paused = true;
        var watch = Stopwatch.StartNew();
        var stepDown = await EtcdAssert.UntilAsync(
            () => !leader.Leadership.IsLeader,
            EtcdNode.Ttl + TimeSpan.FromSeconds(1),
            "the paused leader to stop leading",
            () => Assert.False(leader.Leadership.IsLeader && follower.Leadership.IsLeader, "both candidates lead"));

        // At that moment etcd still keeps its lease and its key: nobody else can have taken over yet.
        var lease = await leader.Client.GetConnection().LeaseClient.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = oldLease }, deadline: DateTime.UtcNow.AddSeconds(5));
        var key = await EtcdAssert.LeaderKeyAsync(follower.Client, prefix);
        var leaseLeftWhenSteppingDown = watch.Elapsed;
        output.WriteLine($"paused leader stopped leading after {stepDown.TotalMilliseconds:0} ms; etcd then still had lease TTL {lease.TTL} s, key epoch {key?.CreateRevision}");
        Assert.True(lease.TTL >= 0, $"the lease was already gone in etcd (TTL {lease.TTL}) when the leader stopped leading");
        Assert.NotNull(key);
        Assert.Equal(oldEpoch, key.CreateRevision);
        Assert.False(follower.Leadership.IsLeader);

        var takeover = await EtcdAssert.UntilAsync(
            () => follower.Leadership.IsLeader,
            ThreeTtls,
            "the other candidate to lead",
            () => Assert.False(leader.Leadership.IsLeader && follower.Leadership.IsLeader, "both candidates lead"));
        output.WriteLine($"{follower.Name} led {(leaseLeftWhenSteppingDown + takeover).TotalMilliseconds:0} ms after the keep-alives stopped (bound {ThreeTtls.TotalMilliseconds:0} ms)");
        Assert.True(follower.Leadership.Epoch > oldEpoch);

        // Keep-alives resume: the old leader finds its lease gone and follows the new leader.
        leader.Leadership.Paused = false;
        await EtcdAssert.UntilAsync(
            () => leader.Leadership.Leader == follower.Name && leader.Leadership.Epoch == follower.Leadership.Epoch,
            ThreeTtls,
            "the old leader to follow the new one",
            () => Assert.False(leader.Leadership.IsLeader, "the deposed leader leads again"));
    }

    [Fact]
    public async Task LeaderKeyDeletedUnderTheLeader_ItStopsLeadingAndCampaignsAgainWithANewEpoch()
    {
        var prefix = EtcdNode.NewPrefix();
        await using var a = EtcdNode.Start(fixture.Cluster.Endpoints, prefix, "node-a");
        await EtcdAssert.LeaderAmongAsync(TimeSpan.FromSeconds(15), a);
        var oldEpoch = a.Leadership.Epoch;

        // An operator (or a bug) deletes the key: the leader sees it through its watch and must not go on leading with it.
        await a.Client.DeleteAsync(prefix + "/leader");
        await EtcdAssert.UntilAsync(() => a.Leadership.Epoch > oldEpoch && a.Leadership.IsLeader, ThreeTtls, "a new epoch");
        var key = await EtcdAssert.LeaderKeyAsync(a.Client, prefix);
        Assert.NotNull(key);
        Assert.Equal(a.Leadership.Epoch, key.CreateRevision);
    }
}
