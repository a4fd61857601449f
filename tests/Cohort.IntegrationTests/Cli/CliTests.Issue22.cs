using System.Text.Json.Nodes;
using Cohort.IntegrationTests.Harness;

namespace Cohort.IntegrationTests.Cli;

/// <summary>
/// Issue 22, the CLI: the same flags on every client command (<c>--nodes</c>/<c>--addr</c>, <c>--auth-token</c>,
/// <c>--json</c>, <c>health</c> included), the verbs that were missing (<c>queue clear</c>/<c>is-empty</c>,
/// <c>resource update-metadata</c>, <c>kv scan --limit/--from/--to</c>, <c>tx abort</c>), <c>sql</c> reading without a
/// transaction and from the shard of the node it names, and tables sized by <c>COLUMNS</c>, unwrapped when redirected.
/// </summary>
public sealed partial class CliTests
{
    private string Dead => $"127.0.0.1:{FreePorts.Take(1)[0]}";

    public static TheoryData<string[]> ClientCommands() => new()
    {
        { ["health"] }, { ["status"] }, { ["wait"] }, { ["commit"] }, { ["add-node"] }, { ["remove-node"] }, { ["dashboard"] },
        { ["sql"] }, { ["kv", "get"] }, { ["kv", "scan"] }, { ["queue", "clear"] }, { ["queue", "is-empty"] },
        { ["resource", "update-metadata"] }, { ["resources", "list"] }, { ["resources", "create"] },
        { ["tx", "list"] }, { ["tx", "show"] }, { ["tx", "abort"] }, { ["bench"] }, { ["bench-pg"] },
    };

    [Theory]
    [MemberData(nameof(ClientCommands))]
    public async Task EveryClientCommand_TakesTheTlsCa(string[] command)
    {
        var run = await Cohort([.. command, "--help"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("--tls-ca", run.Stdout);
    }

    [Theory]
    [InlineData("start-master")]
    [InlineData("start-node")]
    [InlineData("demo")]
    [InlineData("up")]
    public async Task EveryOtherCommand_TakesJson(string command)
    {
        var run = await Cohort(command, "--help");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("--json", run.Stdout);
    }

    [Fact]
    public async Task StartMaster_WithJson_SaysReadyAsJson_AndBadInputAsAJsonError()
    {
        var data = Directory.CreateTempSubdirectory("cohort-start-json-").FullName;
        try
        {
            var bad = await Cohort("start-master", "--addr", Dead, "--data-dir", data, "--tls-key", "k.pem", "--json");
            Assert.Equal(2, bad.ExitCode);
            Assert.Equal("bad_input", Json(bad)["error"]!["code"]!.GetValue<string>());
            Assert.Contains("go together", Json(bad)["error"]!["detail"]!.GetValue<string>());

            // Started for real: the JSON line comes once it serves; then it is stopped by its process id.
            var port = FreePorts.Take(1)[0];
            await using var node = new NodeProcess("json", port, true, $"127.0.0.1:{port}", [$"127.0.0.1:{port}"], [], data, null, "300ms") { ExtraArguments = ["--json"] };
            await node.StartAsync();
            var ready = JsonNode.Parse(node.Tail(50).Split('\n').First(l => l.Contains("\"ready\":true", StringComparison.Ordinal)))!;
            Assert.Equal(node.Address, ready["address"]!.GetValue<string>());
            Assert.Equal($"http://{node.Address}/", ready["url"]!.GetValue<string>());
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(ClientCommands))]
    public async Task EveryClientCommand_TakesTheSameFlags(string[] command)
    {
        var run = await Cohort([.. command, "--help"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Usage:", run.Stdout);
        Assert.Contains("--nodes", run.Stdout);
        Assert.Contains("--auth-token", run.Stdout);
        Assert.Contains("--json", run.Stdout);
        // add-node and remove-node use --addr for the node they add or remove; the seed's --master stays where it was.
        Assert.Contains(command[0] is "add-node" or "remove-node" ? "--master" : "--addr", run.Stdout);
        if (command[0] == "commit")
        {
            Assert.Contains("--master", run.Stdout);
        }
    }

    [Fact]
    public async Task Health_TakesAddrNodesTokenAndJson()
    {
        var node = fixture.Cluster.Nodes[1].Address;
        var json = await Cohort("health", "--addr", node, "--auth-token", "any", "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Equal(node, Json(json)["address"]!.GetValue<string>());
        Assert.Equal("OK", Json(json)["status"]!.GetValue<string>());

        // A list: the first node that can be reached answers.
        var dead = Dead;
        var list = await Cohort("health", "--nodes", $"{dead},{fixture.Master}", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Equal(fixture.Master, Json(list)["address"]!.GetValue<string>());
        Assert.Equal("MASTER", Json(list)["role"]!.GetValue<string>());

        var human = await Cohort("health", "--addr", fixture.Master);
        Assert.Equal($"{fixture.Master}: OK (MASTER)", human.Stdout.Trim());

        var down = await Cohort("health", "--addr", dead, "--json");
        Assert.Equal(4, down.ExitCode);
        Assert.Equal("unreachable", Json(down)["error"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task ClientCommands_TryTheNextNodeOfTheList_AndTheSeedsMasterFlagStays()
    {
        var nodes = $"{Dead},{fixture.Cluster.Nodes[2].Address}";
        var resources = await Cohort("resources", "list", "--nodes", nodes, "--json");
        Assert.True(resources.ExitCode == 0, resources.ToString());
        Assert.Contains(Json(resources)["resources"]!.AsArray(), r => r!["name"]!.GetValue<string>() == "kv:users");

        var dashboard = await Cohort("dashboard", "--nodes", nodes, "--json");
        Assert.True(dashboard.ExitCode == 0, dashboard.ToString());
        Assert.Equal($"http://{fixture.Cluster.Nodes[2].Address}/dashboard", Json(dashboard)["url"]!.GetValue<string>());

        var table = Unique("seed_addr_");
        var viaAddr = await Cohort("commit", "--addr", nodes, "--payload", $$"""{"sql":"CREATE TABLE {{table}} (id BIGINT PRIMARY KEY)"}""", "--json");
        Assert.True(viaAddr.ExitCode == 0, viaAddr.ToString());
        Assert.Equal("committed", Json(viaAddr)["status"]!.GetValue<string>());
        var viaMaster = await Cohort("commit", "--master", fixture.Master, "--payload", $$$"""{"table":"{{{table}}}","values":{"id":1}}""");
        Assert.True(viaMaster.ExitCode == 0, viaMaster.ToString());
        var rows = await fixture.Cluster.ReadOneAsync(TestCluster.DefaultShard(fixture.Cluster.Nodes[1]), Ops.Sql($"SELECT id FROM {table}"));
        Assert.Equal("[[1]]", rows!["rows"]!.ToJsonString());

        var membership = await Cohort("remove-node", "--nodes", Dead, "--addr", "127.0.0.1:1", "--json");
        Assert.Equal(4, membership.ExitCode);
        Assert.Equal("unreachable", Json(membership)["error"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task QueueClearAndIsEmpty()
    {
        var q = Unique("cli-clear-");
        var isEmpty = () => Cohort("queue", "is-empty", "--addr", fixture.Master, "-r", "queue:events", q, "--json");
        Assert.True(Json(await isEmpty())["result"]!.GetValue<bool>());
        foreach (var item in new[] { "one", "two", "three" })
        {
            Assert.Equal(0, (await Cohort("queue", "enqueue", "--addr", fixture.Master, "-r", "queue:events", q, item)).ExitCode);
        }

        Assert.False(Json(await isEmpty())["result"]!.GetValue<bool>());
        var human = await Cohort("queue", "is-empty", "--addr", fixture.Cluster.Nodes[2].Address, "-r", "queue:events", q);
        Assert.Equal("false", human.Stdout.Trim());

        var clear = await Cohort("queue", "clear", "--addr", fixture.Cluster.Nodes[2].Address, "-r", "queue:events", q, "--json");
        Assert.True(clear.ExitCode == 0, clear.ToString());
        Assert.Equal(3, Json(clear)["result"]!.GetValue<long>());
        Assert.Equal("committed", Json(clear)["status"]!.GetValue<string>());
        Assert.True(Json(await isEmpty())["result"]!.GetValue<bool>());
        Assert.Equal("0", (await Cohort("queue", "size", "--addr", fixture.Master, "-r", "queue:events", q)).Stdout.Trim());
        var again = await Cohort("queue", "clear", "--addr", fixture.Master, "-r", "queue:events", q);
        Assert.Equal("0", again.Stdout.Trim());

        var missing = await Cohort("queue", "clear", "--addr", fixture.Master, "-r", "queue:events");
        Assert.Equal(2, missing.ExitCode);
        var wrong = await Cohort("queue", "is-empty", "--addr", fixture.Master, "-r", "kv:users", q, "--json");
        Assert.Equal(2, wrong.ExitCode);
        Assert.Equal("bad_input", Json(wrong)["error"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task ResourceUpdateMetadata()
    {
        var init = await Cohort("resource", "init", "--addr", fixture.Master, "-r", "resource:points", "PTS", "2");
        Assert.True(init.ExitCode is 0 or 2, init.ToString());   // initialized once; another test may have done it

        var name = Unique("Points ");
        var update = await Cohort("resource", "update-metadata", "--addr", fixture.Master, "-r", "resource:points", $"name={name}", """tags=["a",1]""", "--json");
        Assert.True(update.ExitCode == 0, update.ToString());
        Assert.Equal(name, Json(update)["result"]!["name"]!.GetValue<string>());
        Assert.Equal("committed", Json(update)["status"]!.GetValue<string>());

        var metadata = await Cohort("resource", "metadata", "--addr", fixture.Cluster.Nodes[1].Address, "-r", "resource:points", "--json");
        Assert.Equal(name, Json(metadata)["result"]!["name"]!.GetValue<string>());
        Assert.Equal("""["a",1]""", Json(metadata)["result"]!["tags"]!.ToJsonString());
        Assert.Equal(2, Json(metadata)["result"]!["decimals"]!.GetValue<long>());

        var decimals = await Cohort("resource", "update-metadata", "--addr", fixture.Master, "-r", "resource:points", "decimals=3");
        Assert.Equal(2, decimals.ExitCode);
        Assert.Contains("decimals", decimals.Stderr);
        var malformed = await Cohort("resource", "update-metadata", "--addr", fixture.Master, "-r", "resource:points", "name");
        Assert.Equal(2, malformed.ExitCode);
        Assert.Contains("'name' is not FIELD=VALUE", malformed.Stderr);
        var twice = await Cohort("resource", "update-metadata", "--addr", fixture.Master, "-r", "resource:points", "a=1", "a=2");
        Assert.Equal(2, twice.ExitCode);
        var none = await Cohort("resource", "update-metadata", "--addr", fixture.Master, "-r", "resource:points");
        Assert.Equal(2, none.ExitCode);
        Assert.Equal(name, Json(await Cohort("resource", "metadata", "--addr", fixture.Master, "-r", "resource:points", "--json"))["result"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task KvScan_LimitFromTo()
    {
        var prefix = Unique("scan-");
        foreach (var k in new[] { "a", "b", "c", "d", "e" })
        {
            Assert.Equal(0, (await Cohort("kv", "put", "--addr", fixture.Master, "-r", "kv:users", prefix + k, k)).ExitCode);
        }

        static string[] Keys(JsonNode json) => [.. json["result"]!.AsArray().Select(e => e!["key"]!.GetValue<string>())];

        var range = await Cohort("kv", "scan", "--addr", fixture.Master, "-r", "kv:users", "--from", prefix + "b", "--to", prefix + "d", "--json");
        Assert.True(range.ExitCode == 0, range.ToString());
        Assert.Equal([prefix + "b", prefix + "c"], Keys(Json(range)));

        var limited = await Cohort("kv", "scan", "--addr", fixture.Master, "-r", "kv:users", prefix, "--limit", "2", "--json");
        Assert.Equal([prefix + "a", prefix + "b"], Keys(Json(limited)));
        var from = await Cohort("kv", "scan", "--addr", fixture.Master, "-r", "kv:users", "--from", prefix + "d", "--limit", "2", "--json");
        Assert.Equal([prefix + "d", prefix + "e"], Keys(Json(from)));
        var human = await Cohort("kv", "scan", "--addr", fixture.Master, "-r", "kv:users", prefix, "--limit", "1");
        Assert.Equal($"{prefix}a\t\"a\"", human.Stdout.Trim());

        var both = await Cohort("kv", "scan", "--addr", fixture.Master, "-r", "kv:users", prefix, "--from", prefix + "b");
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("not both", both.Stderr);
        var backwards = await Cohort("kv", "scan", "--addr", fixture.Master, "-r", "kv:users", "--from", prefix + "d", "--to", prefix + "b", "--json");
        Assert.Equal(2, backwards.ExitCode);
        Assert.Equal("bad_input", Json(backwards)["error"]!["code"]!.GetValue<string>());
        foreach (var limit in new[] { "0", "10001", "x" })
        {
            var bad = await Cohort("kv", "scan", "--addr", fixture.Master, "-r", "kv:users", "--limit", limit);
            Assert.Equal(2, bad.ExitCode);
            Assert.Contains($"--limit '{limit}'", bad.Stderr);
        }
    }

    [Fact]
    public async Task TxAbort_EndsAnActiveTransaction()
    {
        var key = Unique("abort-");
        var id = await fixture.Cluster.BeginAsync();
        await fixture.Cluster.ApplyOkAsync(id, "kv:users", Ops.Put(key, "never"));

        var abort = await Cohort("tx", "abort", "--addr", fixture.Cluster.Nodes[1].Address, id, "--json");
        Assert.True(abort.ExitCode == 0, abort.ToString());
        Assert.Equal("aborted", Json(abort)["status"]!.GetValue<string>());
        Assert.Equal(id, Json(abort)["tx_id"]!.GetValue<string>());
        var show = await Cohort("tx", "show", "--addr", fixture.Master, id, "--json");
        Assert.Equal("aborted", Json(show)["state"]!.GetValue<string>());
        Assert.Null(Json(await Cohort("kv", "get", "--addr", fixture.Master, "-r", "kv:users", key, "--json"))["result"]);
        var commit = await fixture.Cluster.CommitAsync(id);
        Assert.NotEqual("committed", commit.TxStatus);

        var again = await Cohort("tx", "abort", "--addr", fixture.Master, id);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal($"transaction {id}: aborted", again.Stdout.Trim());

        Assert.Equal(0, (await Cohort("kv", "put", "--addr", fixture.Master, "-r", "kv:users", key, "kept")).ExitCode);
        var list = await Cohort("tx", "list", "--addr", fixture.Master, "--state", "committed", "--all", "--json");
        var committed = Json(list)["transactions"]!.AsArray().Last(t => t!["label"]?.GetValue<string>() == "cohort kv put")!["tx_id"]!.GetValue<string>();
        var late = await Cohort("tx", "abort", "--addr", fixture.Master, committed, "--json");
        Assert.Equal(1, late.ExitCode);
        Assert.Contains("can no longer be aborted", late.Stderr);
        Assert.Equal("kept", (await Cohort("kv", "get", "--addr", fixture.Master, "-r", "kv:users", key)).Stdout.Trim());

        var bad = await Cohort("tx", "abort", "--addr", fixture.Master, "not-an-id", "--json");
        Assert.Equal(2, bad.ExitCode);
        Assert.Equal("bad_input", Json(bad)["error"]!["code"]!.GetValue<string>());
        Assert.Equal(2, (await Cohort("tx", "abort", "--addr", fixture.Master)).ExitCode);
    }

    [Fact]
    public async Task Sql_ASelectIsASnapshotRead_AWriteIsATransaction()
    {
        var table = Unique("read_");
        var write = await Cohort("sql", "--addr", fixture.Master, "-r", "sql:app", "--json", $"CREATE TABLE {table} (id BIGINT PRIMARY KEY, v TEXT); INSERT INTO {table} VALUES (1, 'one')");
        Assert.True(write.ExitCode == 0, write.ToString());
        Assert.Equal("committed", Json(write)["status"]!.GetValue<string>());
        var writeTx = Json(write)["tx_id"]!.GetValue<string>();
        Assert.Equal("committed", Json(await Cohort("tx", "show", "--addr", fixture.Master, writeTx, "--json"))["state"]!.GetValue<string>());

        async Task<int> SqlTransactions() =>
            Json(await Cohort("tx", "list", "--addr", fixture.Master, "--all", "--json"))["transactions"]!.AsArray().Count(t => t!["label"]?.GetValue<string>() == "cohort sql");

        var before = await SqlTransactions();
        var read = await Cohort("sql", "--addr", fixture.Master, "-r", "sql:app", "--json", $"SELECT v FROM {table} WHERE id = 1", $"-- a comment\nSELECT COUNT(*) AS n FROM {table}");
        Assert.True(read.ExitCode == 0, read.ToString());
        Assert.Null(Json(read)["tx_id"]);
        Assert.True(Json(read)["as_of"]!.GetValue<long>() > 0);
        Assert.Equal("""[["one"]]""", Json(read)["results"]![0]!["rows"]!.ToJsonString());
        Assert.Equal("[[1]]", Json(read)["results"]![1]!["rows"]!.ToJsonString());
        var human = await Cohort("sql", "--addr", fixture.Master, "-r", "sql:app", $"SELECT v FROM {table}");
        Assert.Contains("one", human.Stdout);
        Assert.Contains("(1 row)", human.Stdout);
        Assert.Equal(before, await SqlTransactions());

        // A statement that mentions a write keyword, even after a SELECT, runs as a transaction.
        var mixed = await Cohort("sql", "--addr", fixture.Master, "-r", "sql:app", "--json", $"SELECT v FROM {table}", $"INSERT INTO {table} VALUES (2, 'two')");
        Assert.True(mixed.ExitCode == 0, mixed.ToString());
        Assert.NotNull(Json(mixed)["tx_id"]);
        Assert.Equal(before + 1, await SqlTransactions());

        // A quoted keyword is not a write: 'insert' in a string literal still reads.
        var quoted = await Cohort("sql", "--addr", fixture.Master, "-r", "sql:app", "--json", $"SELECT id FROM {table} WHERE v <> 'insert into x' ORDER BY id");
        Assert.True(quoted.ExitCode == 0, quoted.ToString());
        Assert.Null(Json(quoted)["tx_id"]);
        Assert.Equal("[[1],[2]]", Json(quoted)["results"]![0]!["rows"]!.ToJsonString());
        Assert.Equal(before + 1, await SqlTransactions());
    }

    [Fact]
    public async Task Sql_DefaultShard_IsTheAddressedNodes()
    {
        var table = Unique("shard_");
        var node2 = fixture.Cluster.Nodes[2];
        var create = await Cohort("sql", "--addr", node2.Address, $"CREATE TABLE {table} (id BIGINT PRIMARY KEY); INSERT INTO {table} VALUES (22)");
        Assert.True(create.ExitCode == 0, create.ToString());

        // The table is on node2's shard only.
        var onNode2 = await fixture.Cluster.ReadOneAsync(TestCluster.DefaultShard(node2), Ops.Sql($"SELECT id FROM {table}"));
        Assert.Equal("[[22]]", onNode2!["rows"]!.ToJsonString());
        var onMaster = await fixture.Cluster.Api.PostAsync(fixture.Cluster.Master, "v1/read", Ops.Batch(Ops.On(TestCluster.DefaultShard(fixture.Cluster.Master), Ops.Sql($"SELECT id FROM {table}"))));
        Assert.True(onMaster.Status == 400, $"the master's shard has the table too: {onMaster}");

        var read = await Cohort("sql", "--addr", node2.Address, "-r", "sql:default", "--json", $"SELECT id FROM {table}");
        Assert.True(read.ExitCode == 0, read.ToString());
        Assert.Equal("[[22]]", Json(read)["results"]![0]!["rows"]!.ToJsonString());

        var master = await Cohort("sql", "--addr", fixture.Master, "-r", "sql:default", $"SELECT id FROM {table}");
        Assert.Equal(2, master.ExitCode);
        Assert.Contains(table, master.Stderr);

        var qualified = await Cohort("sql", "--addr", fixture.Master, "-r", TestCluster.DefaultShard(node2), "--json", $"SELECT id FROM {table}");
        Assert.True(qualified.ExitCode == 0, qualified.ToString());
        Assert.Equal("[[22]]", Json(qualified)["results"]![0]!["rows"]!.ToJsonString());
    }

    [Fact]
    public async Task Tables_FollowColumns_AndDoNotWrapWhenRedirected()
    {
        var wide = await Cohort("resources", "list", "--addr", fixture.Master);
        Assert.True(wide.ExitCode == 0, wide.ToString());
        foreach (var node in fixture.Cluster.Nodes)
        {
            // Each node's default shard and its address, whole on one line.
            Assert.Contains(wide.Stdout.Split('\n'), line => line.Contains(TestCluster.DefaultShard(node), StringComparison.Ordinal) && line.Contains($" {node.Address} ", StringComparison.Ordinal));
        }

        var status = await Cohort("status", "--nodes", fixture.AllNodes);
        Assert.True(status.ExitCode == 0, status.ToString());
        foreach (var node in fixture.Cluster.Nodes)
        {
            // The node's row holds its address and the master's, unwrapped, though the table is wider than 80 columns.
            Assert.Contains(status.Stdout.Split('\n'), line => line.StartsWith($"│ {node.Address} ", StringComparison.Ordinal) && line.Contains($" {fixture.Master} ", StringComparison.Ordinal));
        }

        var narrow = await CohortCli.RunAsync(["resources", "list", "--addr", fixture.Master], environment: new Dictionary<string, string> { ["COLUMNS"] = "40" });
        output.WriteLine($"$ COLUMNS=40 cohort resources list\n{narrow}");
        Assert.True(narrow.ExitCode == 0, narrow.ToString());
        var lines = narrow.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        Assert.NotEmpty(lines);
        Assert.All(lines, line => Assert.True(line.Length <= 40, $"a line of {line.Length} columns with COLUMNS=40: {line}"));
        Assert.True(lines.Max(l => l.Length) > 30, "the table did not use the width COLUMNS gave");
    }
}
