using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Cohort.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests;

/// <summary>
/// Issue 6 with real node processes: the seed's election rules (heartbeat 1 s, a node is down after 2 silent
/// intervals, so a dead master must be replaced within 3 intervals), membership changes at run time, placement,
/// and a paused (SIGSTOP) master that must get no new work prepared anywhere once it resumes.
/// </summary>
[Trait("Category", "Integration")]
[Collection(RunsAlone.Name)]
public sealed class ClusterTests(ITestOutputHelper output)
{
    private const string Heartbeat = "1s";
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Election_LowestAliveWins_TakeoverWithinThreeIntervals_RejoiningLowerAddressDoesNotDepose()
    {
        await using var cluster = await TestCluster.StartPeersAsync([["kv:a"], ["kv:b"], ["kv:c"]], output, Heartbeat, misses: 2);
        var byAddress = cluster.Nodes.OrderBy(n => n.Address, StringComparer.Ordinal).ToList();
        var master = await cluster.WaitAgreedAsync(cluster.Nodes, Wait.Long);
        output.WriteLine($"started together: {master} leads (lowest is {byAddress[0]})");
        Assert.Equal(byAddress[0], master);
        var epoch = (await cluster.RolesAsync([master]))[0].Epoch;

        // The master dies: the lowest alive address takes over, and everyone agrees, within 3 intervals.
        var survivors = cluster.Nodes.Where(n => n != master).ToList();
        var killedAt = Stopwatch.StartNew();
        await master.KillAsync();
        var next = await cluster.WaitAgreedAsync(survivors, TimeSpan.FromSeconds(30), poll: TimeSpan.FromMilliseconds(25));
        var takeover = killedAt.Elapsed;
        output.WriteLine($"{next} took over {takeover.TotalMilliseconds:0} ms after the kill");
        Assert.Equal(byAddress[1], next);
        Assert.True(takeover <= Interval * 3, $"takeover took {takeover.TotalMilliseconds:0} ms, more than 3 heartbeat intervals");
        var roles = await cluster.RolesAsync(survivors);
        Assert.All(roles, r => Assert.True(r.Epoch > epoch, $"{r.Node} still at epoch {r.Epoch}"));
        epoch = roles[0].Epoch;

        // The new master serves at once, through any node.
        await CommitThroughAsync(cluster, survivors[^1], next.Resources[0], "after-failover");

        // The lower address comes back: it follows the live master, which keeps its epoch.
        await master.StartAsync();
        var agreed = await cluster.WaitAgreedAsync(cluster.Nodes, TimeSpan.FromSeconds(30));
        Assert.Equal(next, agreed);
        await Task.Delay(Interval * 3);
        roles = await cluster.RolesAsync(cluster.Nodes);
        Assert.All(roles, r => Assert.Equal(next.Address, r.Master));
        Assert.All(roles, r => Assert.Equal(epoch, r.Epoch));

        // Down to one node: it is the lowest alive, so it leads.
        var last = byAddress[2];
        foreach (var node in cluster.Nodes.Where(n => n != last))
        {
            await node.KillAsync();
        }

        Assert.Equal(last, await cluster.WaitAgreedAsync([last], TimeSpan.FromSeconds(30)));
        await CommitThroughAsync(cluster, last, last.Resources[0], "alone");
    }

    [Fact]
    public async Task Membership_SeedJoinFlow_AddedNodeTakesPart_RemovedNodeDoesNot()
    {
        // Membership, not failure detection, is under test: detection slow enough that a loaded machine never
        // fails the master over in the middle.
        await using var cluster = await TestCluster.StartAsync([["kv:m"], []], output, heartbeat: "500ms");
        var master = cluster.Master;
        foreach (var node in cluster.Nodes)
        {
            await CreateUsersAsync(cluster, node);
        }

        // The seed's "add a node": start it pointing at the master, then POST /cluster/join {"address"}.
        var newcomer = cluster.AddNode("node9", [], joinVia: master);
        await newcomer.StartAsync();
        var joined = await cluster.Api.PostAsync(master, "cluster/join", new JsonObject { ["address"] = newcomer.Address });
        Assert.True(joined.Status == 200, $"join: {joined}");
        Assert.Equal(master.Address, joined.Body["master_addr"]!.GetValue<string>());
        Assert.Contains(newcomer.Address, joined.Body["cluster_nodes"]!.AsArray().Select(n => n!.GetValue<string>()));
        await WaitMemberAsync(cluster, master, newcomer, alive: true);
        await CreateUsersAsync(cluster, newcomer);

        // It takes part in the next seed transaction.
        var insert = await cluster.Api.PostAsync(master, "transaction", Payload(1, "Alice"));
        Assert.True(insert.Status == 200, $"transaction: {insert}");
        Assert.Contains("3 node(s)", insert.Body["message"]!.GetValue<string>());
        Assert.Equal(1, await UserCountAsync(cluster, newcomer));

        // The master does not remove itself; a node homing a resource is not removed without force, and the
        // message names the resource.
        var refused = await cluster.Api.PostAsync(master, "cluster/remove", new JsonObject { ["address"] = master.Address });
        Assert.Equal(400, refused.Status);
        var homed = await cluster.Api.PostAsync(cluster.Nodes[1], "v1/resources", new JsonObject { ["name"] = "kv:homed", ["node"] = newcomer.Address });
        Assert.True(homed.Status == 201, $"create: {homed}");
        var notRemoved = await cluster.Api.PostAsync(master, "cluster/remove", new JsonObject { ["address"] = newcomer.Address });
        Assert.Equal(409, notRemoved.Status);
        Assert.Equal("resources_homed", notRemoved.Code);
        Assert.Contains("kv:homed", notRemoved.Text);

        // Forced (through a non-master node, which passes it on): the removed node no longer takes part.
        var removed = await cluster.Api.PostAsync(cluster.Nodes[1], "cluster/remove", new JsonObject { ["address"] = newcomer.Address, ["force"] = true });
        Assert.True(removed.Status == 200, $"remove: {removed}");
        await Wait.UntilAsync(
            async () => !(await cluster.Api.GetAsync(cluster.Nodes[1], "cluster/nodes")).Body["nodes"]!.AsArray().Any(n => n!["address"]!.GetValue<string>() == newcomer.Address),
            Wait.Long,
            "every member forgetting the removed node");
        var second = await cluster.Api.PostAsync(master, "transaction", Payload(2, "Bob"));
        Assert.True(second.Status == 200, $"transaction: {second}");
        Assert.Contains("2 node(s)", second.Body["message"]!.GetValue<string>());
        Assert.Equal(1, await UserCountAsync(cluster, newcomer));

        // Added back by address (the seed's /cluster/add): it is a member again and the next transaction reaches it.
        var added = await cluster.Api.PostAsync(master, "cluster/add", new JsonObject { ["address"] = newcomer.Address });
        Assert.True(added.Status == 200, $"add: {added}");
        await WaitMemberAsync(cluster, master, newcomer, alive: true);
        var third = await cluster.Api.PostAsync(master, "transaction", Payload(3, "Cid"));
        Assert.Contains("3 node(s)", third.Body["message"]!.GetValue<string>());
        Assert.Equal(2, await UserCountAsync(cluster, newcomer));
    }

    [Fact]
    public async Task Placement_NamedOrLeastLoadedNode_KnownEverywhere_AndMembershipSurvivesARestart()
    {
        await using var cluster = await TestCluster.StartAsync([["kv:x", "kv:y"], ["queue:q"], []], output, heartbeat: "500ms");

        // The node asked to place a resource chooses from its own view: wait until it has heard from everyone.
        await Wait.UntilAsync(
            async () => (await cluster.Api.GetAsync(cluster.Nodes[1], "cluster/nodes")).Body["nodes"]!.AsArray().Count(n => n!["alive"]!.GetValue<bool>()) == 3,
            Wait.Long,
            $"{cluster.Nodes[1]} seeing all three nodes alive");
        var created = await cluster.Api.PostAsync(cluster.Nodes[1], "v1/resources", new JsonObject { ["name"] = "kv:placed" });
        Assert.True(created.Status == 201, $"create: {created}");
        Assert.Equal(cluster.Nodes[2].Address, created.Body["node"]!.GetValue<string>());

        var named = await cluster.Api.PostAsync(cluster.Master, "v1/resources", new JsonObject { ["name"] = "resource:named", ["node"] = cluster.Nodes[1].Address });
        Assert.True(named.Status == 201, $"create: {named}");
        var again = await cluster.Api.PostAsync(cluster.Master, "v1/resources", new JsonObject { ["name"] = "kv:placed" });
        Assert.Equal(400, again.Status);

        foreach (var node in cluster.Nodes)
        {
            await Wait.UntilAsync(
                async () =>
                {
                    var list = (await cluster.Api.GetAsync(node, "v1/resources")).Body["resources"]!.AsArray();
                    return list.Any(r => r!["name"]!.GetValue<string>() == "kv:placed" && r["node"]!.GetValue<string>() == cluster.Nodes[2].Address)
                        && list.Any(r => r!["name"]!.GetValue<string>() == "resource:named" && r["node"]!.GetValue<string>() == cluster.Nodes[1].Address);
                },
                Wait.Long,
                $"{node} knowing both new homes");
        }

        await CommitThroughAsync(cluster, cluster.Nodes[1], "kv:placed", "placed");

        // The membership list is in the data directory: a node restarted with nothing in --nodes but the master still
        // knows every member, and a node added at run time is still there after the master restarts.
        var added = await cluster.Api.PostAsync(cluster.Master, "cluster/add", new JsonObject { ["address"] = "127.0.0.1:1" });
        Assert.True(added.Status == 200, $"add: {added}");
        await Wait.UntilAsync(async () => (await cluster.Api.GetAsync(cluster.Nodes[2], "cluster/nodes")).Body["nodes"]!.AsArray().Count == 4, Wait.Long, "the added member reaching every node");
        await cluster.Master.RestartAsync();
        var nodes = (await cluster.Api.GetAsync(cluster.Master, "cluster/nodes")).Body["nodes"]!.AsArray();
        Assert.Contains(nodes, n => n!["address"]!.GetValue<string>() == "127.0.0.1:1" && !n["alive"]!.GetValue<bool>());
        Assert.Equal(4, nodes.Count);
    }

    [Fact]
    public async Task StaleMaster_PausedThenResumed_GetsNoNewWorkPreparedAnywhere()
    {
        await using var cluster = await TestCluster.StartPeersAsync([["kv:a"], ["kv:b"], ["kv:c"]], output, Heartbeat, misses: 2);
        var stale = await cluster.WaitAgreedAsync(cluster.Nodes, Wait.Long);
        var others = cluster.Nodes.Where(n => n != stale).ToList();
        var resources = cluster.Nodes.ToDictionary(n => n, n => n.Resources[0]);
        await CommitThroughAsync(cluster, stale, resources[others[0]], "before");
        var begunBefore = await BegunAsync(cluster, stale);

        await stale.SignalAsync(pause: true);
        try
        {
            var next = await cluster.WaitAgreedAsync(others, TimeSpan.FromSeconds(30));
            await CommitThroughAsync(cluster, others[0], resources[next], "under-new-master");
        }
        finally
        {
            await stale.SignalAsync(pause: false);
        }

        // Right at resume, clients hammer the old master with transactions over every resource.
        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => cluster.Api.PostAsync(stale, "v1/batch", Ops.Batch(
            [.. cluster.Nodes.Select(n => Ops.On(resources[n], Ops.Put($"resume-{i}", i)))]))));
        foreach (var attempt in attempts)
        {
            output.WriteLine($"at resume: {attempt}");
            Assert.True(attempt.Status is 200 || attempt.Code is "no_leader" or "unavailable", $"unexpected answer: {attempt}");
        }

        // It started nothing itself: whatever committed was coordinated by the new master; and it follows that one.
        Assert.Equal(begunBefore, await BegunAsync(cluster, stale));
        Assert.NotEqual(stale, await cluster.WaitAgreedAsync(cluster.Nodes, TimeSpan.FromSeconds(30)));
        Assert.Equal(begunBefore, await BegunAsync(cluster, stale));
        await cluster.WaitSettledAsync();
    }

    private static JsonObject Payload(int id, string name) => new()
    {
        ["payload"] = new JsonObject { ["table"] = "users", ["operation"] = "insert", ["values"] = new JsonObject { ["id"] = id, ["name"] = name } },
    };

    private static async Task CreateUsersAsync(TestCluster cluster, NodeProcess node)
    {
        var answer = await cluster.BatchAsync(Ops.Batch(Ops.On(TestCluster.DefaultShard(node), Ops.Sql("CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT)"))));
        Assert.True(answer.Status == 200 && answer.TxStatus == "committed", $"create table on {node}: {answer}");
    }

    // Read on the node itself (a removed node's shard has no home in the cluster), at a snapshot taken now.
    private static async Task<long> UserCountAsync(TestCluster cluster, NodeProcess node)
    {
        var count = Ops.Sql("SELECT count(*) AS n FROM users");
        var (_, now) = await cluster.ReadAsync(null, Ops.On(TestCluster.DefaultShard(cluster.Master), count));
        var result = await cluster.ReadOnNodeAsync(node, "sql:default", Ops.Sql("SELECT count(*) AS n FROM users"), now);
        return result!["rows"]![0]![0]!.GetValue<long>();
    }

    private static async Task WaitMemberAsync(TestCluster cluster, NodeProcess observer, NodeProcess member, bool alive) =>
        await Wait.UntilAsync(
            async () => (await cluster.Api.GetAsync(observer, "cluster/nodes")).Body["nodes"]!.AsArray()
                .Any(n => n!["address"]!.GetValue<string>() == member.Address && n["alive"]!.GetValue<bool>() == alive),
            Wait.Long,
            $"{observer} seeing {member} {(alive ? "alive" : "down")}");

    // A one-put batch entering at the given node that must commit (retrying while an election settles).
    private static async Task CommitThroughAsync(TestCluster cluster, NodeProcess via, string resource, string key)
    {
        ApiResponse? answer = null;
        await Wait.UntilAsync(
            async () =>
            {
                answer = await cluster.BatchAsync(Ops.Batch(Ops.On(resource, Ops.Put(key, key))), via);
                return answer.Status == 200 && answer.TxStatus == "committed";
            },
            TimeSpan.FromSeconds(30),
            $"a commit on {resource} through {via}",
            () => answer?.ToString() ?? "-");
    }

    private static async Task<long> BegunAsync(TestCluster cluster, NodeProcess node)
    {
        var metrics = await cluster.Api.GetAsync(node, "metrics");
        var line = metrics.Text.Split('\n').Single(l => l.StartsWith("cohort_coordinator_begun_total ", StringComparison.Ordinal));
        return long.Parse(line[(line.IndexOf(' ', StringComparison.Ordinal) + 1)..], CultureInfo.InvariantCulture);
    }
}
