using System.Diagnostics;
using System.Text.Json.Nodes;
using Cohort.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests.Etcd;

/// <summary>
/// Issue 19 on real node processes with the etcd backend (a real 3-member etcd) and a real PostgreSQL: the master dies
/// at a crash point and is lost for good (its data directory deleted, never restarted); a new leader finishes what it
/// left — phase two of a recorded decision, an abort it records for a transaction with no decision.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Category", "Etcd")]
[Trait("Category", "Slow")]
public sealed class EtcdFailoverTests(PostgresFixture fixture, ITestOutputHelper output)
{
    private const string LeaseTtl = "2s";
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(2);

    private PostgresServer Server => fixture.Server;

    [Theory]
    [InlineData("coordinator.after-decision", "committed")]
    [InlineData("coordinator.after-votes", "aborted")]
    public async Task MasterLostForGood_ANewLeaderFinishesItsTransaction_OnKvAndPostgres(string crashPoint, string expected)
    {
        await using var etcd = await EtcdCluster.StartAsync(3);
        var database = await Server.CreateDatabaseAsync("etcdfo");
        await Server.ExecuteAsync(database, "CREATE TABLE users (id integer PRIMARY KEY, name text NOT NULL)");

        // The master homes nothing of the transaction: its participants are kv:a on node1 and pg:default on node2.
        await using var cluster = await TestCluster.StartAsync(
            [[], ["kv:a"], []],
            output,
            crashAt: new Dictionary<int, string> { [0] = crashPoint },
            dsns: [null, null, Server.ConnectionString(database)],
            nodeArguments: ["--etcd", etcd.Endpoints, "--etcd-prefix", "/cohort-it/" + Guid.NewGuid().ToString("N")[..8], "--lease-ttl", LeaseTtl]);
        var master = cluster.Master;
        var survivors = cluster.Nodes.Skip(1).ToList();
        var shard = $"pg:default@{survivors[1].Address}";

        var tx = await cluster.BeginAsync(timeoutMs: 8_000);
        await cluster.ApplyOkAsync(tx, "kv:a", Ops.Put("k", "v"));
        await cluster.ApplyOkAsync(tx, shard, new JsonObject { ["table"] = "users", ["operation"] = "insert", ["values"] = new JsonObject { ["id"] = 1, ["name"] = "Lost" } });
        var commit = cluster.CommitAsync(tx);
        Assert.True(await master.WaitForExitAsync(Wait.Long), $"the master did not die at {crashPoint}.\n{cluster.Diagnostics()}");
        var died = Stopwatch.StartNew();
        Assert.True(master.Printed("CRASH " + crashPoint), master.Tail());
        try
        {
            var answer = await commit;
            cluster.Log($"client was told: {answer}");
        }
        catch (HttpRequestException)
        {
            // The master died mid-request.
        }

        // Lost for good: its disk is gone and it never comes back.
        Directory.Delete(master.DataDirectory, recursive: true);
        Assert.Single(await PreparedAsync(database));

        // A survivor leads within three lease TTLs.
        NodeProcess? leader = null;
        await Wait.UntilAsync(
            async () => (leader = await cluster.LeaderAsync(survivors)) is not null,
            Wait.Long,
            "a survivor to lead",
            poll: TimeSpan.FromMilliseconds(100));
        var electedAfter = died.Elapsed;
        cluster.Log($"{leader} leads {electedAfter.TotalMilliseconds:0} ms after the master died");
        Assert.True(electedAfter < 3 * Ttl + TimeSpan.FromSeconds(1), $"a new leader took {electedAfter}");

        // The transaction ends the same way everywhere: the pg gid leaves pg_prepared_xacts, and the KV write is there
        // exactly when the row is.
        await Wait.UntilAsync(async () => (await PreparedAsync(database)).Count == 0, Wait.Long, "the prepared pg transaction resolved", () => cluster.Diagnostics(30));
        var rows = await Server.QueryAsync(database, "SELECT name FROM users WHERE id = 1");
        Assert.Equal(expected == "committed" ? ["Lost"] : [], rows);
        await Wait.UntilAsync(
            async () => Ops.Text((await cluster.ReadAsync(leader, Ops.On("kv:a", Ops.Get("k")))).Results[0]) == (expected == "committed" ? "\"v\"" : "null"),
            Wait.Long,
            $"kv:a to show the transaction {expected}");

        // Every survivor answers the transaction's status with the outcome.
        foreach (var node in survivors)
        {
            var last = string.Empty;
            await Wait.UntilAsync(
                async () =>
                {
                    var status = await cluster.Api.GetAsync(node, $"v1/tx/{tx}");
                    last = status.ToString();
                    return status.Status == 200 && status.Body["state"]?.GetValue<string>() == expected;
                },
                Wait.Long,
                $"GET /v1/tx/{tx} on {node} to say {expected}",
                () => last);
        }

        cluster.Log($"finished {expected} {died.Elapsed.TotalMilliseconds:0} ms after the master died");

        // And the cluster serves new transactions under the new leader.
        var next = await cluster.BeginAsync(via: leader);
        await cluster.ApplyOkAsync(next, "kv:a", Ops.Put("k2", "w"), via: leader);
        await cluster.ApplyOkAsync(next, shard, new JsonObject { ["table"] = "users", ["operation"] = "insert", ["values"] = new JsonObject { ["id"] = 2, ["name"] = "Next" } }, via: leader);
        Assert.Equal("committed", (await cluster.CommitAsync(next, via: leader)).TxStatus);

        // Its phase two runs after the answer: wait for it, so that no prepared transaction outlives the test in the
        // PostgreSQL server the collection shares (other tests assert there is none).
        await Wait.UntilAsync(async () => (await PreparedAsync(database)).Count == 0, Wait.Long, "the last transaction's phase two on PostgreSQL");
        Assert.Equal(["Next"], await Server.QueryAsync(database, "SELECT name FROM users WHERE id = 2"));
    }

    private async Task<List<string>> PreparedAsync(string database) =>
        [.. (await Server.QueryAsync("postgres", "SELECT gid FROM pg_prepared_xacts WHERE database = $1", database)).Cast<string>()];
}
