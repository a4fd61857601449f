using System.Text.Json.Nodes;
using Cohort.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests;

/// <summary>
/// Issue 5, "golden path": one transaction writing a KV, a Queue, a Resource and a SQL resource on three different
/// node processes commits everywhere; one that aborts (explicitly, or through a failing operation in a batch) leaves
/// no trace anywhere.
/// </summary>
[Trait("Category", "Integration")]
public sealed class GoldenPathTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Kv = "kv:users";
    private const string Queue = "queue:events";
    private const string Points = "resource:points";

    private TestCluster _cluster = null!;

    private string Sql => TestCluster.DefaultShard(_cluster.Nodes[2]);

    public async Task InitializeAsync()
    {
        // kv on the master, queue and resource on node1, SQL on node2's default shard: three processes.
        _cluster = await TestCluster.StartAsync([[Kv], [Queue, Points], []], output);
        await _cluster.BatchOkAsync(Ops.On(Points, Ops.Initialize("PTS", 2)), Ops.On(Points, Ops.Mint("system", 1000m)));
        await _cluster.BatchOkAsync(Ops.On(Sql, Ops.Sql("CREATE TABLE users (id BIGINT PRIMARY KEY, name TEXT NOT NULL)")));
        await _cluster.WaitSettledAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Commit_WritingKvQueueResourceAndSqlOnThreeNodes_IsVisibleEverywhere()
    {
        var tx = await _cluster.BeginAsync(via: _cluster.Nodes[1]);
        await _cluster.ApplyOkAsync(tx, Kv, Ops.Put("user:1", "Alice"), via: _cluster.Nodes[1]);
        await _cluster.ApplyOkAsync(tx, Queue, Ops.Enqueue("welcome", "alice"));
        await _cluster.ApplyOkAsync(tx, Points, Ops.Transfer("system", "alice", 5.25m), via: _cluster.Nodes[2]);
        var inserted = await _cluster.ApplyOkAsync(tx, Sql, Ops.Sql("INSERT INTO users (id, name) VALUES ($1, $2)", 1, "Alice"));
        Assert.Equal(1, inserted!["affected"]!.GetValue<long>());

        var commit = await _cluster.CommitAsync(tx, via: _cluster.Nodes[2]);
        Assert.True(commit.Status == 200 && commit.TxStatus == "committed", commit.ToString());
        Assert.Equal(tx, commit.Body["tx_id"]!.GetValue<string>());

        await _cluster.WaitSettledAsync();
        var status = await _cluster.Api.GetAsync(_cluster.Master, $"v1/tx/{tx}");
        Assert.True(status.Status == 200, status.ToString());
        Assert.Equal("committed", status.Body["state"]!.GetValue<string>());
        Assert.Equal(4, status.Body["participants"]!.AsArray().Count);
        Assert.True(status.Body["participants"]!.AsArray().All(p => p!["acknowledged"]!.GetValue<bool>()), status.ToString());
        Assert.NotNull(status.Body["decision"]);

        // The same answer through every node (non-masters forward /v1/read to the master) ...
        foreach (var via in _cluster.Nodes)
        {
            var (results, asOf) = await _cluster.ReadAsync(via, ReadAll("alice", 1));
            AssertCommittedState(results[0], results[1], results[2], results[3], results[4], $"via {via}");

            // ... and straight from each home node's engine at that snapshot.
            AssertCommittedState(
                await _cluster.ReadOnNodeAsync(_cluster.HomeOf(Kv), Kv, Ops.Get("user:1"), asOf),
                await _cluster.ReadOnNodeAsync(_cluster.HomeOf(Queue), Queue, Ops.Size("welcome"), asOf),
                await _cluster.ReadOnNodeAsync(_cluster.HomeOf(Points), Points, Ops.Balance("alice"), asOf),
                await _cluster.ReadOnNodeAsync(_cluster.HomeOf(Points), Points, Ops.Balance("system"), asOf),
                await _cluster.ReadOnNodeAsync(_cluster.Nodes[2], "sql:default", Ops.Sql("SELECT name FROM users WHERE id = $1", 1), asOf),
                $"on the home nodes at {asOf}");
        }
    }

    [Fact]
    public async Task Abort_Explicit_LeavesNoTraceOnAnyNode()
    {
        var tx = await _cluster.BeginAsync();
        await _cluster.ApplyOkAsync(tx, Kv, Ops.Put("user:2", "Bob"));
        await _cluster.ApplyOkAsync(tx, Queue, Ops.Enqueue("welcome", "bob"));
        await _cluster.ApplyOkAsync(tx, Points, Ops.Transfer("system", "bob", 7m));
        await _cluster.ApplyOkAsync(tx, Sql, Ops.Sql("INSERT INTO users (id, name) VALUES ($1, $2)", 2, "Bob"));

        var abort = await _cluster.AbortAsync(tx, via: _cluster.Nodes[1]);
        Assert.True(abort.Status == 200 && abort.TxStatus == "aborted", abort.ToString());

        // Committing it afterwards cannot bring it back.
        var late = await _cluster.CommitAsync(tx);
        Assert.True(late.IsSuccess ? late.TxStatus == "aborted" : late.Status is 404 or 409 or 410, late.ToString());

        await _cluster.WaitSettledAsync();
        await AssertNoTraceAsync("bob", 2);
    }

    [Fact]
    public async Task Abort_BatchWithFailingTransfer_LeavesNoTraceOnAnyNode()
    {
        var batch = await _cluster.BatchAsync(Ops.Batch(
            Ops.On(Kv, Ops.Put("user:3", "Carol")),
            Ops.On(Queue, Ops.Enqueue("welcome", "carol")),
            Ops.On(Sql, Ops.Sql("INSERT INTO users (id, name) VALUES ($1, $2)", 3, "Carol")),
            Ops.On(Points, Ops.Transfer("system", "carol", 1m)),
            Ops.On(Points, Ops.Transfer("carol", "bob", 500m))));

        // The batch is refused as a whole: an "aborted" outcome naming the failing operation's code.
        Assert.True(batch.Status == 200, batch.ToString());
        Assert.Equal("aborted", batch.TxStatus);
        Assert.Equal("insufficient_funds", batch.Body["code"]?.GetValue<string>());
        var status = await _cluster.Api.GetAsync(_cluster.Master, $"v1/tx/{batch.Body["tx_id"]!.GetValue<string>()}");
        Assert.True(status.Status == 200 && status.Body["state"]!.GetValue<string>() == "aborted", status.ToString());

        await _cluster.WaitSettledAsync();
        await AssertNoTraceAsync("carol", 3);
        Assert.Equal(0m, Ops.Decimal(await _cluster.ReadOneAsync(Points, Ops.Balance("bob"))));
    }

    private JsonObject[] ReadAll(string account, int id) =>
    [
        Ops.On(Kv, Ops.Get($"user:{id}")),
        Ops.On(Queue, Ops.Size("welcome")),
        Ops.On(Points, Ops.Balance(account)),
        Ops.On(Points, Ops.Balance("system")),
        Ops.On(Sql, Ops.Sql("SELECT name FROM users WHERE id = $1", id)),
    ];

    private static void AssertCommittedState(JsonNode? user, JsonNode? size, JsonNode? alice, JsonNode? system, JsonNode? rows, string where)
    {
        Assert.True(Ops.Text(user) == "\"Alice\"", $"user:1 {where}: {Ops.Text(user)}");
        Assert.True(size?.GetValue<long>() == 1, $"queue size {where}: {Ops.Text(size)}");
        Assert.True(Ops.Decimal(alice) == 5.25m, $"alice {where}: {Ops.Text(alice)}");
        Assert.True(Ops.Decimal(system) == 994.75m, $"system {where}: {Ops.Text(system)}");
        Assert.True(Ops.Text(rows?["rows"]) == "[[\"Alice\"]]", $"sql {where}: {Ops.Text(rows)}");
    }

    private async Task AssertNoTraceAsync(string account, int id)
    {
        foreach (var via in _cluster.Nodes)
        {
            var (results, asOf) = await _cluster.ReadAsync(via, ReadAll(account, id));
            Assert.True(results[0] is null, $"user:{id} via {via}: {Ops.Text(results[0])}");
            Assert.True(results[1]!.GetValue<long>() == 0, $"queue via {via}: {Ops.Text(results[1])}");
            Assert.True(Ops.Decimal(results[2]) == 0m, $"{account} via {via}: {Ops.Text(results[2])}");
            Assert.True(Ops.Decimal(results[3]) == 1000m, $"system via {via}: {Ops.Text(results[3])}");
            Assert.True(Ops.Text(results[4]?["rows"]) == "[]", $"sql via {via}: {Ops.Text(results[4])}");

            Assert.Null(await _cluster.ReadOnNodeAsync(_cluster.HomeOf(Kv), Kv, Ops.Get($"user:{id}"), asOf));
            Assert.Equal(0, (await _cluster.ReadOnNodeAsync(_cluster.HomeOf(Queue), Queue, Ops.Size("welcome"), asOf))!.GetValue<long>());
            Assert.Equal(0m, Ops.Decimal(await _cluster.ReadOnNodeAsync(_cluster.HomeOf(Points), Points, Ops.Balance(account), asOf)));
            Assert.Equal("[]", Ops.Text((await _cluster.ReadOnNodeAsync(_cluster.Nodes[2], "sql:default", Ops.Sql("SELECT name FROM users WHERE id = $1", id), asOf))?["rows"]));
        }
    }
}
