using System.Text.Json.Nodes;
using Cohort.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests;

/// <summary>
/// The seed-compatible endpoints on a real three-node cluster: <c>/role</c>, <c>/cluster/*</c>, and
/// <c>/transaction</c>, which runs one seed payload atomically on every alive node's default SQL shard.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SeedEndpointTests(ITestOutputHelper output) : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await TestCluster.StartAsync([[], [], []], output);

        // One two-phase commit creating the table on all three default shards.
        await _cluster.BatchOkAsync([.. _cluster.Nodes.Select(n => Ops.On(TestCluster.DefaultShard(n), Ops.Sql("CREATE TABLE users (id BIGINT PRIMARY KEY, name TEXT NOT NULL)")))]);
        await _cluster.WaitSettledAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task RoleAndCluster_ShowOneMasterAndEveryNodeAlive()
    {
        foreach (var node in _cluster.Nodes)
        {
            var role = await _cluster.Api.GetAsync(node, "role");
            Assert.Equal(node.IsMaster ? "MASTER" : "SLAVE", role.Body["role"]!.GetValue<string>());
        }

        var summary = await _cluster.Api.GetAsync(_cluster.Master, "cluster/summary");
        Assert.True(summary.Status == 200, summary.ToString());
        Assert.Equal(_cluster.Master.Address, summary.Body["master_addr"]!.GetValue<string>());
        Assert.Equal(3, summary.Body["nodes"]!.GetValue<int>());
        Assert.Equal(3, summary.Body["alive"]!.GetValue<int>());
        Assert.Equal(0, summary.Body["in_doubt"]!.GetValue<int>());
    }

    [Fact]
    public async Task PrepareThenCommit_DrivenByTheSeedClient_WaitsForTheClientsDecision()
    {
        var node = _cluster.Nodes[1];
        var payload = new JsonObject { ["table"] = "users", ["values"] = new JsonObject { ["id"] = 50, ["name"] = "held" } };
        var prepared = await _cluster.Api.PostAsync(node, "prepare", new JsonObject { ["transaction_id"] = "seed-tx-50", ["payload"] = payload });
        Assert.True(prepared.Status == 200 && prepared.Body["status"]!.GetValue<string>() == "READY", prepared.ToString());

        // The node's termination sweep runs every second; no coordinator knows this transaction,
        // and none may presume it aborted: it is the client's to decide.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var committed = await _cluster.Api.PostAsync(node, "commit", new JsonObject { ["transaction_id"] = "seed-tx-50" });
        Assert.True(committed.Status == 200, committed.ToString());
        var rows = await _cluster.ReadOneAsync(TestCluster.DefaultShard(node), Ops.Sql("SELECT name FROM users WHERE id = 50"));
        Assert.Equal("[[\"held\"]]", Ops.Text(rows?["rows"]));

        var second = await _cluster.Api.PostAsync(node, "prepare", new JsonObject { ["transaction_id"] = "seed-tx-51", ["payload"] = new JsonObject { ["table"] = "users", ["values"] = new JsonObject { ["id"] = 51, ["name"] = "dropped" } } });
        Assert.True(second.Status == 200, second.ToString());
        Assert.True((await _cluster.Api.PostAsync(node, "abort", new JsonObject { ["transaction_id"] = "seed-tx-51" })).Status == 200);
        rows = await _cluster.ReadOneAsync(TestCluster.DefaultShard(node), Ops.Sql("SELECT count(*) FROM users WHERE id = 51"));
        Assert.Equal("[[0]]", Ops.Text(rows?["rows"]));
    }

    [Fact]
    public async Task Transaction_SeedPayload_InsertsOnEveryShardOrNowhere()
    {
        var insert = new JsonObject { ["payload"] = new JsonObject { ["table"] = "users", ["values"] = new JsonObject { ["id"] = 1, ["name"] = "ann" } } };
        var first = await _cluster.Api.PostAsync(_cluster.Nodes[1], "transaction", insert);
        Assert.True(first.Status == 200 && first.Body["success"]!.GetValue<bool>() && first.TxStatus == "committed", first.ToString());

        // Node2's shard alone already has id 2: the seed insert of id 2 fails there, so it must land nowhere.
        await _cluster.BatchOkAsync(Ops.On(TestCluster.DefaultShard(_cluster.Nodes[2]), Ops.Sql("INSERT INTO users (id, name) VALUES (2, 'only-on-node2')")));
        var clash = new JsonObject { ["payload"] = new JsonObject { ["table"] = "users", ["operation"] = "insert", ["values"] = new JsonObject { ["id"] = 2, ["name"] = "bob" } } };
        var second = await _cluster.Api.PostAsync(_cluster.Master, "transaction", clash);
        Assert.True(second.Status == 409 && !second.Body["success"]!.GetValue<bool>() && second.TxStatus == "aborted", second.ToString());

        await _cluster.WaitSettledAsync();
        foreach (var node in _cluster.Nodes)
        {
            var rows = await _cluster.ReadOneAsync(TestCluster.DefaultShard(node), Ops.Sql("SELECT id, name FROM users ORDER BY id"));
            var expected = node == _cluster.Nodes[2] ? "[[1,\"ann\"],[2,\"only-on-node2\"]]" : "[[1,\"ann\"]]";
            Assert.True(Ops.Text(rows?["rows"]) == expected, $"{node}: {Ops.Text(rows)}");
        }
    }
}
