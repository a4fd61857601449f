using System.Text.Json;
using System.Text.Json.Nodes;
using Cohort.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests.Cli;

/// <summary>One cluster shared by the CLI tests: master with kv:users, node1 with queue:events and resource:points, node2 with sql:app.</summary>
public sealed class CliFixture : IAsyncLifetime
{
    internal TestCluster Cluster { get; private set; } = null!;

    public string Master => Cluster.Master.Address;

    public string AllNodes => string.Join(',', Cluster.Nodes.Select(n => n.Address));

    public async Task InitializeAsync() => Cluster = await TestCluster.StartAsync([["kv:users"], ["queue:events", "resource:points"], ["sql:app"]]);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// Issue 8: the <c>cohort</c> commands against a real cluster, run as the built executable: the seed's commands
/// (<c>commit</c>, <c>status</c>), <c>sql</c>, <c>kv</c>, <c>queue</c>, <c>resource</c>, <c>tx</c>; <c>--json</c> output
/// parses; bad input and unreachable nodes give a clear message and a non-zero exit code.
/// </summary>
[Trait("Category", "Integration")]
public sealed partial class CliTests(CliFixture fixture, ITestOutputHelper output) : IClassFixture<CliFixture>
{
    private static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..8];

    private async Task<CohortCli.Run> Cohort(params string[] args)
    {
        var run = await CohortCli.RunAsync(args);
        output.WriteLine($"$ cohort {string.Join(' ', args)}\n{run}");
        return run;
    }

    private static JsonNode Json(CohortCli.Run run) =>
        JsonNode.Parse(run.Stdout) ?? throw new InvalidOperationException("no JSON: " + run);

    [Fact]
    public async Task Commit_SeedPayload_RunsOnEveryNodeAndARefusedOneExitsNonZero()
    {
        var table = Unique("seed_");
        var create = await Cohort("commit", "--master", fixture.Master, "--payload", $$"""{"sql":"CREATE TABLE {{table}} (id BIGINT PRIMARY KEY, name TEXT)"}""");
        Assert.True(create.ExitCode == 0, create.ToString());
        Assert.Contains("committed on 3 node(s)", create.Stdout);

        var insert = await Cohort("commit", "--master", fixture.Cluster.Nodes[2].Address, "--payload", $$$"""{"table":"{{{table}}}","values":{"id":1,"name":"Alice"}}""", "--json");
        Assert.True(insert.ExitCode == 0, insert.ToString());
        var body = Json(insert);
        Assert.Equal("committed", body["status"]!.GetValue<string>());
        Assert.True(body["success"]!.GetValue<bool>());

        var duplicate = await Cohort("commit", "--master", fixture.Master, "--payload", $$$"""{"table":"{{{table}}}","values":{"id":1,"name":"Again"}}""");
        Assert.Equal(1, duplicate.ExitCode);
        Assert.Contains("aborted", duplicate.Stderr);
        Assert.Contains("constraint_violation", duplicate.Stderr);

        foreach (var node in fixture.Cluster.Nodes)
        {
            var rows = await fixture.Cluster.ReadOneAsync(TestCluster.DefaultShard(node), Ops.Sql($"SELECT name FROM {table}"));
            Assert.Equal("""[["Alice"]]""", rows!["rows"]!.ToJsonString());
        }
    }

    [Fact]
    public async Task Commit_WithBadJson_ExitsTwoWithAClearMessage()
    {
        var run = await Cohort("commit", "--master", fixture.Master, "--payload", "{not json");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("cohort commit: --payload is not valid JSON", run.Stderr);
        Assert.Empty(run.Stdout);
    }

    [Fact]
    public async Task Commands_AgainstAnUnreachableNode_ExitFourAndSaySo()
    {
        var dead = $"127.0.0.1:{FreePorts.Take(1)[0]}";
        var commit = await Cohort("commit", "--master", dead, "--payload", "{}");
        Assert.Equal(4, commit.ExitCode);
        Assert.Contains($"node {dead} is unreachable", commit.Stderr);

        var kv = await Cohort("kv", "get", "--addr", dead, "-r", "kv:users", "k", "--json");
        Assert.Equal(4, kv.ExitCode);
        Assert.Contains("unreachable", kv.Stderr);
        Assert.Equal("unreachable", Json(kv)["error"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Status_ListsEveryNodeWithTheMaster_AndAnUnreachableOneFails()
    {
        var run = await Cohort("status", "--nodes", fixture.AllNodes, "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        var nodes = Json(run)["nodes"]!.AsArray();
        Assert.Equal(3, nodes.Count);
        Assert.All(nodes, n =>
        {
            Assert.True(n!["reachable"]!.GetValue<bool>());
            Assert.Equal(fixture.Master, n["master_addr"]!.GetValue<string>());
            Assert.Equal(3, n["alive"]!.GetValue<long>());
        });
        Assert.Single(nodes, n => n!["role"]!.GetValue<string>() == "MASTER");

        var table = await Cohort("status", "--nodes", fixture.AllNodes);
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("MASTER", table.Stdout);

        var dead = $"127.0.0.1:{FreePorts.Take(1)[0]}";
        var partial = await Cohort("status", "--nodes", $"{fixture.Master},{dead}");
        Assert.Equal(1, partial.ExitCode);
        Assert.Contains($"cohort status: node {dead} is unreachable", partial.Stderr);
    }

    [Fact]
    public async Task Sql_StatementsRunInOneTransaction_TablesAndJson()
    {
        var table = Unique("cli_");
        var run = await Cohort("sql", "--addr", fixture.Cluster.Nodes[1].Address, "-r", "sql:app",
            $"CREATE TABLE {table} (id BIGINT PRIMARY KEY, name TEXT NOT NULL); INSERT INTO {table} VALUES (1, 'Ann'), (2, 'Bo')",
            $"SELECT id, name FROM {table} ORDER BY id");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("INSERT 2", run.Stdout);
        Assert.Contains("Ann", run.Stdout);
        Assert.Contains("(2 rows)", run.Stdout);

        var json = await Cohort("sql", "--addr", fixture.Master, "-r", "sql:app", "--json", $"SELECT name FROM {table} WHERE id = 2");
        Assert.True(json.ExitCode == 0, json.ToString());
        var result = Json(json)["results"]![0]!;
        Assert.Equal("""["name"]""", result["columns"]!.ToJsonString());
        Assert.Equal("""[["Bo"]]""", result["rows"]!.ToJsonString());

        // All or nothing: the second statement fails, so the first is not kept either.
        var failed = await Cohort("sql", "--addr", fixture.Master, "-r", "sql:app", $"INSERT INTO {table} VALUES (3, 'Cy'); INSERT INTO {table} VALUES (1, 'dup')");
        Assert.Equal(1, failed.ExitCode);
        Assert.Contains("constraint_violation", failed.Stderr);
        var count = await Cohort("sql", "--addr", fixture.Master, "-r", "sql:app", "--json", $"SELECT COUNT(*) AS n FROM {table}");
        Assert.Equal(2, Json(count)["results"]![0]!["rows"]![0]![0]!.GetValue<long>());
    }

    [Fact]
    public async Task Sql_WithoutStatements_ReadsThemFromStdin()
    {
        var table = Unique("stdin_");
        var run = await CohortCli.RunAsync(
            ["sql", "--addr", fixture.Master, "-r", "sql:app"],
            $"CREATE TABLE {table} (id BIGINT PRIMARY KEY);\nINSERT INTO {table}\n  VALUES (7);\nSELECT id FROM {table};\nSELEC broken;\n");
        output.WriteLine(run.ToString());
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("INSERT 1", run.Stdout);
        Assert.Contains("7", run.Stdout);
        Assert.Contains("sql_syntax", run.Stderr);
    }

    [Fact]
    public async Task Sql_BadInput_ExitsTwo()
    {
        var syntax = await Cohort("sql", "--addr", fixture.Master, "SELEC 1");
        Assert.Equal(2, syntax.ExitCode);
        Assert.Contains("cohort sql:", syntax.Stderr);
        Assert.Contains("sql_syntax", syntax.Stderr);

        var resource = await Cohort("sql", "--addr", fixture.Master, "-r", "kv:users", "SELECT 1");
        Assert.Equal(2, resource.ExitCode);
        Assert.Contains("is not a SQL resource", resource.Stderr);
    }

    [Fact]
    public async Task Kv_PutGetScanDelete_WithJson()
    {
        var key = Unique("cli-kv-");
        var addr = fixture.Cluster.Nodes[2].Address;
        Assert.Equal(0, (await Cohort("kv", "put", "--addr", addr, "-r", "kv:users", key, """{"name":"Alice","n":1}""")).ExitCode);
        var get = await Cohort("kv", "get", "--addr", addr, "-r", "kv:users", key, "--json");
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal("Alice", Json(get)["result"]!["name"]!.GetValue<string>());

        Assert.Equal(0, (await Cohort("kv", "put", "--addr", addr, "-r", "kv:users", key + "-2", "plain text")).ExitCode);
        var plain = await Cohort("kv", "get", "--addr", addr, "-r", "kv:users", key + "-2");
        Assert.Equal("plain text", plain.Stdout.Trim());

        var scan = await Cohort("kv", "scan", "--addr", addr, "-r", "kv:users", key, "--json");
        Assert.Equal(2, Json(scan)["result"]!.AsArray().Count);

        var delete = await Cohort("kv", "delete", "--addr", addr, "-r", "kv:users", key, "--json");
        Assert.True(Json(delete)["result"]!.GetValue<bool>());
        var missing = await Cohort("kv", "get", "--addr", addr, "-r", "kv:users", key, "--json");
        Assert.Null(Json(missing)["result"]);
    }

    [Fact]
    public async Task QueueAndResource_OneShotOperations()
    {
        var q = Unique("cli-q-");
        Assert.Equal(0, (await Cohort("queue", "enqueue", "--addr", fixture.Master, "-r", "queue:events", q, "hello")).ExitCode);
        Assert.Equal("1", (await Cohort("queue", "size", "--addr", fixture.Master, "-r", "queue:events", q)).Stdout.Trim());
        Assert.Equal("hello", (await Cohort("queue", "dequeue", "--addr", fixture.Master, "-r", "queue:events", q)).Stdout.Trim());

        var account = Unique("acct-");
        var init = await Cohort("resource", "init", "--addr", fixture.Master, "-r", "resource:points", "PTS", "2");
        Assert.True(init.ExitCode is 0 or 2, init.ToString());
        Assert.Equal(0, (await Cohort("resource", "mint", "--addr", fixture.Master, "-r", "resource:points", account, "10.5")).ExitCode);
        var overdraft = await Cohort("resource", "transfer", "--addr", fixture.Master, "-r", "resource:points", account, "other", "20");
        Assert.Equal(1, overdraft.ExitCode);
        Assert.Contains("insufficient_funds", overdraft.Stderr);
        var balance = await Cohort("resource", "balance", "--addr", fixture.Master, "-r", "resource:points", account, "--json");
        Assert.Equal("10.50", Json(balance)["result"]!.GetValue<string>());
        var bad = await Cohort("resource", "mint", "--addr", fixture.Master, "-r", "resource:points", account, "-3x");
        Assert.Equal(2, bad.ExitCode);
    }

    [Fact]
    public async Task TxList_AndShow_ParseAsJson()
    {
        var key = Unique("cli-tx-");
        Assert.Equal(0, (await Cohort("kv", "put", "--addr", fixture.Master, "-r", "kv:users", key, "1")).ExitCode);
        var list = await Cohort("tx", "list", "--addr", fixture.Master, "--all", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        var transactions = Json(list)["transactions"]!.AsArray();
        var mine = transactions.First(t => t!["label"]?.GetValue<string>() == "cohort kv put" && t["participants"]!.AsArray().Count == 1);
        var id = mine!["tx_id"]!.GetValue<string>();

        var show = await Cohort("tx", "show", "--addr", fixture.Cluster.Nodes[1].Address, id, "--json");
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Equal(id, Json(show)["tx_id"]!.GetValue<string>());
        Assert.Equal("kv:users", Json(show)["participants"]![0]!["resource"]!.GetValue<string>());

        var inDoubt = await Cohort("tx", "list", "--addr", fixture.Master, "--state", "in-doubt", "--json");
        Assert.Empty(Json(inDoubt)["transactions"]!.AsArray());
        var page = await Cohort("tx", "list", "--addr", fixture.Master, "--limit", "1", "--json");
        Assert.True(page.ExitCode == 0, page.ToString());
        Assert.Single(Json(page)["transactions"]!.AsArray());
        var second = await Cohort("tx", "list", "--addr", fixture.Master, "--limit", "1", "--after", Json(page)["next"]!.GetValue<string>(), "--json");
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.NotEqual(Json(page)["transactions"]![0]!["tx_id"]!.GetValue<string>(), Json(second)["transactions"]![0]!["tx_id"]!.GetValue<string>());
        Assert.Equal(2, (await Cohort("tx", "list", "--addr", fixture.Master, "--limit", "0")).ExitCode);
        var badState = await Cohort("tx", "list", "--addr", fixture.Master, "--state", "sideways");
        Assert.Equal(2, badState.ExitCode);
        Assert.Contains("--state 'sideways'", badState.Stderr);
        var badId = await Cohort("tx", "show", "--addr", fixture.Master, "not-an-id");
        Assert.Equal(2, badId.ExitCode);
    }

    [Fact]
    public async Task Dashboard_IsServedAndTheCommandPrintsItsUrl()
    {
        var page = await fixture.Cluster.Api.GetAsync(fixture.Cluster.Nodes[1], "dashboard");
        Assert.Equal(200, page.Status);
        Assert.Equal("text/html", page.MediaType);
        // The page's script (served beside it since issue 22's dashboard) polls the cluster view and the transactions in doubt.
        Assert.Contains("/dashboard/app.js", page.Text);
        var script = await fixture.Cluster.Api.GetAsync(fixture.Cluster.Nodes[1], "dashboard/app.js");
        Assert.Equal(200, script.Status);
        Assert.Contains("/cluster/nodes", script.Text);
        Assert.Contains("/v1/tx?", script.Text);
        Assert.Contains("\"in-doubt\"", script.Text);

        var run = await Cohort("dashboard", "--addr", fixture.Master, "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal($"http://{fixture.Master}/dashboard", Json(run)["url"]!.GetValue<string>());
        Assert.Equal(3, Json(run)["cluster"]!["nodes"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("commit", "--help")]
    [InlineData("sql", "--help")]
    [InlineData("kv", "put", "--help")]
    [InlineData("tx", "list", "--help")]
    [InlineData("bench", "--help")]
    [InlineData("demo", "--help")]
    [InlineData("up", "--help")]
    [InlineData("wait", "--help")]
    public async Task Help_IsAvailableEverywhere(params string[] args)
    {
        var run = await Cohort(args);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Usage:", run.Stdout);
    }

    [Fact]
    public async Task UnknownCommandOrMissingArgument_ExitsTwo()
    {
        var unknown = await Cohort("frobnicate");
        Assert.Equal(2, unknown.ExitCode);
        var missing = await Cohort("commit", "--master", fixture.Master);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--payload", missing.Stderr);
        Assert.Empty(missing.Stdout);
    }

    [Fact]
    public async Task Bench_AgainstAResourceThatDoesNotExist_StopsAtOnceWithTheReason()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var run = await Cohort("bench", "--addr", fixture.Master, "--resources", "kv:users,kv:does-not-exist", "--clients", "2", "--duration", "60", "--warmup", "0", "--quiet");
        Assert.Equal(2, run.ExitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"bench ran {clock.Elapsed} against a resource that does not exist");
        Assert.Contains("cohort bench: stopped after", run.Stderr);
        Assert.Contains("unknown_resource", run.Stderr);
        Assert.Contains("kv:does-not-exist", run.Stderr);
        Assert.DoesNotContain("abort rate", run.Stdout);

        var interactive = await Cohort("bench", "--addr", fixture.Master, "--resources", "kv:does-not-exist", "--workload", "interactive", "--clients", "2", "--duration", "60", "--warmup", "0", "--quiet", "--json");
        Assert.Equal(2, interactive.ExitCode);
        Assert.Equal("unknown_resource", Json(interactive)["error"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Bench_ShortRun_ReportsCommittedTransactions()
    {
        var run = await Cohort("bench", "--addr", fixture.Master, "--resources", "kv:users", "--clients", "2", "--duration", "1", "--warmup", "0", "--quiet", "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(1.0, Json(run)["duration_s"]!.GetValue<double>());
        Assert.True(Json(run)["committed"]!.GetValue<long>() > 0);
    }

    [Fact]
    public async Task Wait_OnAReadyCluster_ReturnsAtOnceNamingTheMaster()
    {
        var run = await Cohort("wait", "--nodes", fixture.AllNodes, "--timeout", "30s");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"ready: master {fixture.Master}, 3 node(s) alive", run.Stdout);

        var json = await Cohort("wait", "--nodes", fixture.Cluster.Nodes[2].Address, "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Equal(fixture.Master, Json(json)["master"]!.GetValue<string>());
    }

    [Fact]
    public async Task JsonOutput_IsOneDocument()
    {
        var run = await Cohort("status", "--nodes", fixture.Master, "--json");
        using var document = JsonDocument.Parse(run.Stdout);
        Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
    }
}
