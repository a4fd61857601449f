using System.Text.Json.Nodes;
using Cohort.Etcd;
using Cohort.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests.Etcd;

/// <summary>
/// Issue 19, membership and placement in etcd, on real node processes: the first leader records the membership, every
/// node adopts what etcd holds (the same list, the same version), resources are placed create-if-absent so two nodes
/// creating one name at once cannot both win, and add/join/remove (forced) go through whoever leads — also after the
/// master is lost for good.
/// </summary>
[Collection(EtcdCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Category", "Etcd")]
[Trait("Category", "Slow")]
public sealed class EtcdMembershipTests(EtcdFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task MembershipAndPlacementLiveInEtcd_EveryNodeAgrees_AndChangesGoThroughWhoeverLeads()
    {
        var prefix = "/cohort-members/" + Guid.NewGuid().ToString("N")[..8];
        using var etcd = EtcdClientFactory.Create(fixture.Cluster.Endpoints);
        await using var cluster = await TestCluster.StartAsync(
            [["kv:m"], [], []],
            output,
            nodeArguments: ["--etcd", fixture.Cluster.Endpoints, "--etcd-prefix", prefix, "--lease-ttl", "2s"]);
        var all = cluster.Nodes.ToList();

        // The first leader recorded the membership it started with; every node shows etcd's list and version.
        await Wait.UntilAsync(async () => await EtcdAssert.MembershipAsync(etcd, prefix) is not null, Wait.Long, "the membership recorded in etcd");
        var recorded = (await EtcdAssert.MembershipAsync(etcd, prefix))!.Value;
        Assert.Equal(1, recorded.Version);
        Assert.Equal(all.Select(n => n.Address).Order(StringComparer.Ordinal), recorded.Members);
        await AgreeAsync(cluster, all, prefix, etcd, "after start");

        // Two nodes create one name at once, each on itself: exactly one wins, and everyone places it there.
        var race = await Task.WhenAll(all.Skip(1).Select(n =>
            cluster.Api.PostAsync(n, "v1/resources", new JsonObject { ["name"] = "kv:race", ["node"] = n.Address })));
        cluster.Log($"race: {race[0]} / {race[1]}");
        Assert.Single(race, r => r.Status == 201);
        var loser = Assert.Single(race, r => r.Status != 201);
        Assert.Equal(400, loser.Status);
        Assert.Contains("already exists", loser.Text, StringComparison.Ordinal);
        var winner = race.Single(r => r.Status == 201).Body["node"]!.GetValue<string>();
        Assert.Equal(winner, (await EtcdAssert.PlacementAsync(etcd, prefix))["kv:race"]);
        await PlacedEverywhereAsync(cluster, all, "kv:race", winner);

        // A node started with only the master in --nodes joins; the leader records it in etcd.
        var newcomer = cluster.AddNode("node3", [], joinVia: cluster.Master);
        await newcomer.StartAsync();
        all.Add(newcomer);
        await Wait.UntilAsync(
            async () => (await EtcdAssert.MembershipAsync(etcd, prefix))!.Value.Members.Contains(newcomer.Address),
            Wait.Long,
            "the newcomer in etcd's membership");
        await AgreeAsync(cluster, all, prefix, etcd, "after the join");

        // A node homing a resource is removed only with force; forced (through a node that passes it on), everyone drops
        // it, and its resource has no home.
        var homed = await cluster.Api.PostAsync(cluster.Nodes[1], "v1/resources", new JsonObject { ["name"] = "kv:homed", ["node"] = newcomer.Address });
        Assert.True(homed.Status == 201, $"create: {homed}");
        await PlacedEverywhereAsync(cluster, all, "kv:homed", newcomer.Address);
        var leader = await LeaderAsync(cluster, all);
        var refused = await cluster.Api.PostAsync(leader, "cluster/remove", new JsonObject { ["address"] = newcomer.Address });
        Assert.Equal(409, refused.Status);
        Assert.Equal("resources_homed", refused.Code);
        var via = all.First(n => n != leader && n != newcomer);
        var removed = await cluster.Api.PostAsync(via, "cluster/remove", new JsonObject { ["address"] = newcomer.Address, ["force"] = true });
        Assert.True(removed.Status == 200, $"remove: {removed}");
        all.Remove(newcomer);
        Assert.DoesNotContain(newcomer.Address, (await EtcdAssert.MembershipAsync(etcd, prefix))!.Value.Members);
        await AgreeAsync(cluster, all, prefix, etcd, "after the forced removal");
        foreach (var node in all)
        {
            await Wait.UntilAsync(async () => !(await ResourcesAsync(cluster, node)).ContainsKey("kv:homed"), Wait.Long, $"{node} to forget kv:homed");
        }

        var orphan = await cluster.BatchAsync(new JsonObject { ["ops"] = new JsonArray(Ops.On("kv:homed", Ops.Put("k", "v"))) }, via);
        Assert.Equal("unknown_resource", orphan.Code);
        await newcomer.KillAsync();

        // The leader is lost for good: the next one has the same membership (from etcd) and changes it.
        leader = await LeaderAsync(cluster, all);
        await leader.KillAsync();
        Directory.Delete(leader.DataDirectory, recursive: true);
        var survivors = all.Where(n => n != leader).ToList();
        var next = await LeaderAsync(cluster, survivors);
        cluster.Log($"{leader} lost for good; {next} leads");
        await AgreeAsync(cluster, survivors, prefix, etcd, "after the leader was lost");
        var before = (await EtcdAssert.MembershipAsync(etcd, prefix))!.Value.Version;
        var added = await cluster.Api.PostAsync(survivors.First(n => n != next), "cluster/add", new JsonObject { ["address"] = "127.0.0.1:1" });
        Assert.True(added.Status == 200, $"add: {added}");
        var after = (await EtcdAssert.MembershipAsync(etcd, prefix))!.Value;
        Assert.Equal(before + 1, after.Version);
        Assert.Contains("127.0.0.1:1", after.Members);
        Assert.Contains(leader.Address, after.Members);
        await AgreeAsync(cluster, survivors, prefix, etcd, "after the new leader added a member");

        // Placement outlives a change of leader: kv:race is where it was (listed while its home is alive).
        Assert.Equal(winner, (await EtcdAssert.PlacementAsync(etcd, prefix))["kv:race"]);
        if (winner != leader.Address)
        {
            await PlacedEverywhereAsync(cluster, survivors, "kv:race", winner);
        }
    }

    // Every given node shows etcd's membership: the same version and the same addresses.
    private async Task AgreeAsync(TestCluster cluster, IReadOnlyList<NodeProcess> nodes, string prefix, dotnet_etcd.EtcdClient etcd, string when)
    {
        var (version, members) = (await EtcdAssert.MembershipAsync(etcd, prefix))!.Value;
        foreach (var node in nodes)
        {
            await Wait.UntilAsync(
                async () =>
                {
                    var view = (await cluster.Api.GetAsync(node, "cluster/nodes")).Body;
                    var listed = view["nodes"]!.AsArray().Select(n => n!["address"]!.GetValue<string>()).Order(StringComparer.Ordinal);
                    return view["members_version"]!.GetValue<long>() == version && listed.SequenceEqual(members);
                },
                Wait.Long,
                $"{node} to show etcd's membership version {version} ({string.Join(", ", members)}) {when}");
        }

        output.WriteLine($"{when}: every node shows membership version {version}: {string.Join(", ", members)}");
    }

    private static async Task PlacedEverywhereAsync(TestCluster cluster, IReadOnlyList<NodeProcess> nodes, string resource, string home)
    {
        foreach (var node in nodes)
        {
            await Wait.UntilAsync(
                async () => (await ResourcesAsync(cluster, node)).GetValueOrDefault(resource) == home,
                Wait.Long,
                $"{node} to place {resource} on {home}");
        }
    }

    private static async Task<Dictionary<string, string>> ResourcesAsync(TestCluster cluster, NodeProcess node) =>
        (await cluster.Api.GetAsync(node, "v1/resources")).Body["resources"]!.AsArray()
            .ToDictionary(r => r!["name"]!.GetValue<string>(), r => r!["node"]!.GetValue<string>());

    private static async Task<NodeProcess> LeaderAsync(TestCluster cluster, IReadOnlyList<NodeProcess> among)
    {
        NodeProcess? leader = null;
        await Wait.UntilAsync(async () => (leader = await cluster.LeaderAsync(among)) is not null, Wait.Long, "a leader", poll: TimeSpan.FromMilliseconds(100));
        return leader!;
    }
}
