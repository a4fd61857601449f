using System.Text.Json.Nodes;
using Cohort.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests.Cli;

/// <summary>A two-node cluster on the embedded backend (no <c>--etcd</c>) with no resources but the default shards.</summary>
public sealed class ResourcesClusterFixture : IAsyncLifetime
{
    internal TestCluster Cluster { get; private set; } = null!;

    public string Master => Cluster.Master.Address;

    public string Node1 => Cluster.Nodes[1].Address;

    public async Task InitializeAsync() => Cluster = await TestCluster.StartAsync([[], []]);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// <c>cohort resources list</c> and <c>cohort resources create</c> run as the built executable against real nodes: a
/// resource created on a named node is listed with that node; a <c>--replicas</c> outside 1..9 is refused before anything
/// is sent (exit 2); an existing name, and replicas on nodes without the etcd backend, fail with the node's own message;
/// an unreachable node exits 4.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CliResourcesTests(ResourcesClusterFixture fixture, ITestOutputHelper output) : IClassFixture<ResourcesClusterFixture>
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

    private async Task<JsonNode?> ListedAsync(string address, string name)
    {
        var list = await Cohort("resources", "list", "--addr", address, "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        return Json(list)["resources"]!.AsArray().FirstOrDefault(r => r!["name"]!.GetValue<string>() == name);
    }

    [Fact]
    public async Task Create_OnANamedNode_ThenListShowsItWithItsNode()
    {
        var name = Unique("kv:cli-res-");
        var create = await Cohort("resources", "create", name, "--node", fixture.Node1, "--addr", fixture.Master);
        Assert.True(create.ExitCode == 0, create.ToString());
        Assert.Equal($"created {name} on {fixture.Node1}", create.Stdout.Trim());
        Assert.Empty(create.Stderr);

        // The node that hosts it knows at once; unreplicated, it has neither replicas nor a version.
        var listed = await ListedAsync(fixture.Node1, name);
        Assert.NotNull(listed);
        Assert.Equal(fixture.Node1, listed["node"]!.GetValue<string>());
        Assert.Null(listed["replicas"]);
        Assert.Null(listed["version"]);

        // The other node learns it with the next heartbeats; the table names it with its node.
        await Wait.UntilAsync(async () => await ListedAsync(fixture.Master, name) is not null, Wait.Long, $"{fixture.Master} to list {name}");
        var table = await Cohort("resources", "list", "--addr", fixture.Master);
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("replicas", table.Stdout);
        var row = table.Stdout.Split('\n').Single(line => line.Contains(name, StringComparison.Ordinal));
        Assert.Contains(fixture.Node1, row);
        Assert.Contains($"sql:default@{fixture.Master}", table.Stdout);

        // Without --node the cluster places it; --json prints the node's answer.
        var placed = Unique("queue:cli-res-");
        var json = await Cohort("resources", "create", placed, "--addr", fixture.Node1, "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Equal(placed, Json(json)["name"]!.GetValue<string>());
        var home = Json(json)["node"]!.GetValue<string>();
        Assert.Contains(home, new[] { fixture.Master, fixture.Node1 });
        Assert.Equal(home, (await ListedAsync(home, placed))?["node"]?.GetValue<string>());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("10")]
    [InlineData("three")]
    public async Task Create_WithReplicasOutsideOneToNine_ExitsTwoWithAClearMessage_AndCreatesNothing(string replicas)
    {
        var name = Unique("kv:cli-res-");
        var run = await Cohort("resources", "create", name, "--replicas", replicas, "--addr", fixture.Master);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"cohort resources create: --replicas '{replicas}' is not a whole number from 1 to 9", run.Stderr);
        Assert.DoesNotContain("   at ", run.Stderr);
        Assert.Empty(run.Stdout);
        Assert.Null(await ListedAsync(fixture.Master, name));
    }

    [Fact]
    public async Task Create_AnExistingName_FailsWithTheServersMessage()
    {
        var name = Unique("kv:cli-res-");
        var first = await Cohort("resources", "create", name, "--node", fixture.Master, "--addr", fixture.Master);
        Assert.True(first.ExitCode == 0, first.ToString());

        var again = await Cohort("resources", "create", name, "--addr", fixture.Master);
        Assert.Equal(2, again.ExitCode);   // the node's bad_operation, as for every command (docs/operations.md, exit codes)
        Assert.Equal($"cohort resources create: Resource '{name}' already exists on {fixture.Master}.", again.Stderr.Trim());
        Assert.Empty(again.Stdout);

        // Through the other node, naming itself: the name is the cluster's, not one node's.
        await Wait.UntilAsync(async () => await ListedAsync(fixture.Node1, name) is not null, Wait.Long, $"{fixture.Node1} to list {name}");
        var json = await Cohort("resources", "create", name, "--node", fixture.Node1, "--addr", fixture.Node1, "--json");
        Assert.Equal(2, json.ExitCode);
        Assert.Equal("bad_operation", Json(json)["error"]!["code"]!.GetValue<string>());
        Assert.Equal($"Resource '{name}' already exists on {fixture.Master}.", Json(json)["error"]!["detail"]!.GetValue<string>());
        Assert.Equal(fixture.Master, (await ListedAsync(fixture.Master, name))?["node"]?.GetValue<string>());
    }

    [Fact]
    public async Task Create_Replicated_OnNodesWithoutEtcd_FailsWithTheServersMessage()
    {
        var name = Unique("kv:cli-res-");
        var run = await Cohort("resources", "create", name, "--replicas", "3", "--addr", fixture.Master);
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("cohort resources create: Replicated resources ('replicas' > 1) need the etcd backend (start the nodes with --etcd).", run.Stderr.Trim());
        Assert.Empty(run.Stdout);

        var json = await Cohort("resources", "create", name, "--replicas", "2", "--addr", fixture.Node1, "--json");
        Assert.Equal(1, json.ExitCode);
        Assert.Equal("bad_request", Json(json)["error"]!["code"]!.GetValue<string>());
        Assert.Contains("need the etcd backend", Json(json)["error"]!["detail"]!.GetValue<string>());
        Assert.Null(await ListedAsync(fixture.Master, name));
        Assert.Null(await ListedAsync(fixture.Node1, name));
    }

    [Fact]
    public async Task Commands_AgainstAnUnreachableNode_ExitFourAndSaySo()
    {
        var dead = $"127.0.0.1:{FreePorts.Take(1)[0]}";
        var list = await Cohort("resources", "list", "--addr", dead);
        Assert.Equal(4, list.ExitCode);
        Assert.Contains($"cohort resources list: node {dead} is unreachable", list.Stderr);

        var create = await Cohort("resources", "create", "kv:cli-res-dead", "--addr", dead, "--json");
        Assert.Equal(4, create.ExitCode);
        Assert.Contains($"cohort resources create: node {dead} is unreachable", create.Stderr);
        Assert.Equal("unreachable", Json(create)["error"]!["code"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("resources", "--help")]
    [InlineData("resources", "list", "--help")]
    [InlineData("resources", "create", "--help")]
    public async Task Help_IsAvailable(params string[] args)
    {
        var run = await Cohort(args);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Usage:", run.Stdout);
    }
}

/// <summary>
/// <c>cohort resources create --replicas 3</c> on nodes with the etcd backend (a real 3-member etcd), sent to a node that
/// does not lead: it prints the primary and the replicas, and <c>cohort resources list</c> shows them with the version.
/// </summary>
[Collection(EtcdCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Category", "Etcd")]
public sealed class CliReplicatedResourcesTests(EtcdFixture fixture, ITestOutputHelper output)
{
    private async Task<CohortCli.Run> Cohort(params string[] args)
    {
        var run = await CohortCli.RunAsync(args);
        output.WriteLine($"$ cohort {string.Join(' ', args)}\n{run}");
        return run;
    }

    [Fact]
    public async Task Create_WithThreeReplicas_PrintsPrimaryAndReplicas_AndListShowsThemWithTheVersion()
    {
        await using var cluster = await TestCluster.StartAsync(
            [[], [], []],
            output,
            heartbeat: "200ms",
            misses: 5,
            nodeArguments: ["--etcd", fixture.Cluster.Endpoints, "--etcd-prefix", "/cohort-cli/" + Guid.NewGuid().ToString("N")[..8], "--lease-ttl", "2s"]);
        var (master, node1, node2) = (cluster.Nodes[0].Address, cluster.Nodes[1].Address, cluster.Nodes[2].Address);

        var create = await Cohort("resources", "create", "kv:cli-repl", "--replicas", "3", "--node", node1, "--addr", node2);
        Assert.True(create.ExitCode == 0, create.ToString());
        var sentence = create.Stdout.Trim();
        Assert.StartsWith($"created kv:cli-repl: primary {node1}, replicas ", sentence);
        Assert.EndsWith("(configuration version 1)", sentence);
        Assert.Contains(master, sentence);
        Assert.Contains(node2, sentence);

        JsonNode? listed = null;
        await Wait.UntilAsync(
            async () =>
            {
                var list = await Cohort("resources", "list", "--addr", master, "--json");
                listed = list.ExitCode == 0 ? JsonNode.Parse(list.Stdout)!["resources"]!.AsArray().FirstOrDefault(r => r!["name"]!.GetValue<string>() == "kv:cli-repl") : null;
                return listed?["replicas"] is not null;
            },
            Wait.Long,
            $"{master} to list kv:cli-repl with its replicas");
        Assert.Equal(node1, listed!["node"]!.GetValue<string>());
        Assert.Equal(new[] { master, node2 }.Order(), listed["replicas"]!.AsArray().Select(r => r!.GetValue<string>()).Order());
        Assert.Equal(1, listed["version"]!.GetValue<long>());

        var table = await Cohort("resources", "list", "--addr", master);
        Assert.True(table.ExitCode == 0, table.ToString());
        var lines = table.Stdout.Split('\n');
        var at = Array.FindIndex(lines, line => line.Contains("kv:cli-repl", StringComparison.Ordinal));
        Assert.True(at >= 0 && at + 1 < lines.Length, table.ToString());
        Assert.Contains(node1, lines[at]);
        Assert.Matches(@"│\s*1\s*│\s*yes\s*│\s*$", lines[at]);   // the version, then whether its node is alive
        Assert.Equal(new[] { master, node2 }.Order(), lines[at..(at + 2)].Select(l => l.Split('│')[3].Trim()).Order());   // one replica a line

        var again = await Cohort("resources", "create", "kv:cli-repl", "--replicas", "3", "--addr", master);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains($"Resource 'kv:cli-repl' already exists on {node1}", again.Stderr);
    }
}
