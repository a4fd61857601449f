using Cohort.Core;
using Cohort.Etcd;
using Cohort.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests.Etcd;

/// <summary><see cref="EtcdClusterDirectory"/> (membership and placement in etcd) against a real 3-member etcd cluster.</summary>
[Collection(EtcdCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Category", "Etcd")]
public sealed class EtcdClusterDirectoryTests(EtcdFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task TheLeadersMembershipWrite_IsSeenByEveryDirectory_AndAStaleOrDeposedWriteChangesNothing()
    {
        await using var leader = await EtcdNode.StartLeaderAsync(fixture.Cluster.Endpoints, TimeSpan.FromSeconds(15), "127.0.0.1:7001");
        await using var follower = EtcdNode.Start(fixture.Cluster.Endpoints, leader.Prefix, "127.0.0.1:7002");
        await using var mine = await OpenAsync(leader);
        await using var theirs = await OpenAsync(follower);
        Assert.Equal(0, mine.View!.MembersVersion);
        Assert.Empty(mine.View.Members);

        var epoch = leader.Leadership.HeldEpoch;
        Assert.Equal(1, await mine.WriteMembersAsync(epoch, 0, ["127.0.0.1:7001", "127.0.0.1:7002"], default));

        // The writer's view shows its write on return; the other's watch delivers it.
        Assert.Equal(["127.0.0.1:7001", "127.0.0.1:7002"], mine.View!.Members);
        await EtcdAssert.UntilAsync(() => theirs.View!.MembersVersion == 1, Soon, "the other directory to see version 1");
        Assert.Equal(["127.0.0.1:7001", "127.0.0.1:7002"], theirs.View!.Members);

        // Computed from version 0 again: refused, and nothing written.
        var moved = await Assert.ThrowsAsync<CohortException>(() => mine.WriteMembersAsync(epoch, 0, ["127.0.0.1:7009"], default));
        Assert.Equal(ErrorCodes.Unavailable, moved.Code);
        Assert.True(moved.IsTransient);

        // A follower (not holding the leader key at that epoch) cannot write, even from the current version.
        var fenced = await Assert.ThrowsAsync<CohortException>(() => theirs.WriteMembersAsync(epoch, 1, ["127.0.0.1:7002"], default));
        Assert.Equal(ErrorCodes.NoLeader, fenced.Code);

        // Nor can the leader under an epoch it does not hold.
        fenced = await Assert.ThrowsAsync<CohortException>(() => mine.WriteMembersAsync(epoch - 1, 1, ["127.0.0.1:7001"], default));
        Assert.Equal(ErrorCodes.NoLeader, fenced.Code);

        Assert.Equal(2, await mine.WriteMembersAsync(epoch, 1, ["127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003"], default));
        await EtcdAssert.UntilAsync(() => theirs.View!.MembersVersion == 2, Soon, "the other directory to see version 2");
        Assert.Equal(3, theirs.View!.Members.Count);

        // A directory opened later reads the same.
        await using var late = await OpenAsync(follower);
        Assert.Equal(theirs.View.Members, late.View!.Members);
        Assert.Equal(2, late.View.MembersVersion);
    }

    [Fact]
    public async Task TwoNodesClaimingOneResourceAtOnce_OneWins_AndEveryoneAgreesWhich()
    {
        var prefix = EtcdNode.NewPrefix();
        await using var a = EtcdNode.Start(fixture.Cluster.Endpoints, prefix, "127.0.0.1:7101");
        await using var b = EtcdNode.Start(fixture.Cluster.Endpoints, prefix, "127.0.0.1:7102");
        await using var da = await OpenAsync(a);
        await using var db = await OpenAsync(b);
        for (var round = 0; round < 20; round++)
        {
            var name = $"kv:race{round}";
            var claims = await Task.WhenAll(da.ClaimAsync(name, a.Name, default), db.ClaimAsync(name, b.Name, default));
            Assert.Equal(claims[0], claims[1]);
            Assert.Contains(claims[0], new[] { a.Name, b.Name });
            Assert.Equal(claims[0], da.View!.Homes[name]);
            await EtcdAssert.UntilAsync(() => db.View!.Homes.GetValueOrDefault(name) == claims[0], Soon, $"{name} on the other directory");
        }

        var wins = da.View!.Homes.Values.Count(v => v == a.Name);
        output.WriteLine($"20 races: {wins} won by a, {20 - wins} by b");

        // Only the home may release; then the name is free to claim again.
        await db.ReleaseAsync("kv:race0", da.View.Homes["kv:race0"] == a.Name ? b.Name : a.Name, default);
        Assert.True(da.View.Homes.ContainsKey("kv:race0"));
        var home = da.View.Homes["kv:race0"];
        await (home == a.Name ? da : db).ReleaseAsync("kv:race0", home, default);
        await EtcdAssert.UntilAsync(() => !da.View!.Homes.ContainsKey("kv:race0") && !db.View!.Homes.ContainsKey("kv:race0"), Soon, "the release to reach both");
        Assert.Equal(b.Name, await db.ClaimAsync("kv:race0", b.Name, default));
    }

    [Fact]
    public async Task TheWatchSurvivesAnEtcdMemberRestart_AndChangesMadeMeanwhileArrive()
    {
        await using var etcd = await EtcdCluster.StartAsync(3);
        await using var leader = await EtcdNode.StartLeaderAsync(etcd.Endpoints, TimeSpan.FromSeconds(15), "127.0.0.1:7201");
        await using var watcher = EtcdNode.Start(etcd.Endpoints, leader.Prefix, "127.0.0.1:7202");
        await using var mine = await OpenAsync(leader);
        await using var theirs = await OpenAsync(watcher);
        var epoch = leader.Leadership.HeldEpoch;
        var version = 0L;
        for (var member = 0; member < etcd.Count; member++)
        {
            await etcd.KillAsync(member);
            version = await WriteWithRetryAsync(mine, epoch, version, [leader.Name, watcher.Name, $"127.0.0.1:{7300 + member}"]);
            await mine.ClaimAsync($"kv:during{member}", leader.Name, default);
            etcd.Restart(member);
            await etcd.WaitHealthyAsync();
            await EtcdAssert.UntilAsync(
                () => theirs.View!.MembersVersion == version && theirs.View.Homes.ContainsKey($"kv:during{member}"),
                TimeSpan.FromSeconds(20),
                $"the watcher to see the changes made while etcd member {member} was down");
        }

        Assert.Equal(mine.View!.Members, theirs.View!.Members);
    }

    private static async Task<long> WriteWithRetryAsync(EtcdClusterDirectory directory, long epoch, long version, IReadOnlyList<string> members)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await directory.WriteMembersAsync(epoch, version, members, default);
            }
            catch (CohortException e) when (e.Code == ErrorCodes.Unavailable && attempt < 20)
            {
                // A write whose answer was lost to the kill may have landed: take the version it made.
                if (directory.View!.MembersVersion > version && directory.View.Members.SequenceEqual(members.Order(StringComparer.Ordinal)))
                {
                    return directory.View.MembersVersion;
                }

                version = Math.Max(version, directory.View.MembersVersion);
                await Task.Delay(200);
            }
        }
    }

    private static async Task<EtcdClusterDirectory> OpenAsync(EtcdNode node)
    {
        var directory = new EtcdClusterDirectory(node.Client, new EtcdDirectoryOptions { KeyPrefix = node.Prefix, Node = node.Name });
        await directory.StartAsync();
        return directory;
    }
}
