using System.Text.Json.Nodes;
using Cohort.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests.Cli;

/// <summary>A one-node cluster started with an auth token, for the commands run without it.</summary>
public sealed class TokenClusterFixture : IAsyncLifetime
{
    public const string Token = "cli-secret";

    internal TestCluster Cluster { get; private set; } = null!;

    public string Master => Cluster.Master.Address;

    public async Task InitializeAsync() => Cluster = await TestCluster.StartAsync([["kv:users"]], authToken: Token);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// Issue 17: against a cluster that requires a token, a command run without it says "unauthorized" and exits
/// non-zero at once — <c>status</c> no longer shows OK with dashes and exits 0, <c>wait</c> does not wait for a token
/// that will never come, <c>bench</c> does not run its whole duration at a 100% abort rate.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CliAuthTests(TokenClusterFixture fixture, ITestOutputHelper output) : IClassFixture<TokenClusterFixture>
{
    private async Task<CohortCli.Run> Cohort(params string[] args)
    {
        var run = await CohortCli.RunAsync(args);
        output.WriteLine($"$ cohort {string.Join(' ', args)}\n{run}");
        return run;
    }

    [Fact]
    public async Task Status_WithoutTheToken_ReportsUnauthorizedAndExitsOne()
    {
        var run = await Cohort("status", "--nodes", fixture.Master);
        Assert.Equal(1, run.ExitCode);
        Assert.DoesNotContain("OK", run.Stdout);   // the table's status column says unauthorized
        Assert.Contains($"cohort status: node {fixture.Master}: unauthorized: A valid bearer token is required", run.Stderr);
        Assert.Contains("--auth-token", run.Stderr);

        var json = await Cohort("status", "--nodes", fixture.Master, "--json");
        Assert.Equal(1, json.ExitCode);
        var node = JsonNode.Parse(json.Stdout)!["nodes"]![0]!;
        Assert.Equal("unauthorized", node["status"]!.GetValue<string>());
        Assert.NotNull(node["error"]);

        var withToken = await Cohort("status", "--nodes", fixture.Master, "--auth-token", TokenClusterFixture.Token);
        Assert.True(withToken.ExitCode == 0, withToken.ToString());
        Assert.Contains("MASTER", withToken.Stdout);
    }

    [Fact]
    public async Task Wait_WithoutTheToken_FailsAtOnce_WithItSucceeds()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var run = await Cohort("wait", "--nodes", fixture.Master, "--timeout", "60s");
        Assert.Equal(1, run.ExitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"wait took {clock.Elapsed} to see the token was refused");
        Assert.Contains("unauthorized", run.Stderr + run.Stdout, StringComparison.OrdinalIgnoreCase);

        var ok = await Cohort("wait", "--nodes", fixture.Master, "--auth-token", TokenClusterFixture.Token);
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Contains($"ready: master {fixture.Master}", ok.Stdout);
    }

    [Fact]
    public async Task Bench_WithoutTheToken_StopsAtOnceWithTheReason()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var run = await Cohort("bench", "--addr", fixture.Master, "--resources", "kv:users", "--clients", "2", "--duration", "60s", "--warmup", "0", "--quiet");
        Assert.Equal(1, run.ExitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"bench ran {clock.Elapsed} against a cluster that refuses it");
        Assert.Contains("cohort bench: stopped after", run.Stderr);
        Assert.Contains("401 unauthorized", run.Stderr);
        Assert.DoesNotContain("abort rate", run.Stdout);
    }

    public static TheoryData<string[]> ClientCommands() => new()
    {
        { ["kv", "scan", "-r", "kv:users", "--limit", "5"] },
        { ["tx", "list", "--limit", "5"] },
        { ["resources", "list"] },
        { ["sql", "SELECT 1 AS one"] },
        { ["dashboard"] },
    };

    /// <summary>Issue 22: every client command takes --auth-token; without it a token cluster refuses it (exit 1).</summary>
    [Theory]
    [MemberData(nameof(ClientCommands))]
    public async Task ClientCommand_TakesTheToken(string[] command)
    {
        var without = await Cohort([.. command, "--addr", fixture.Master, "--json"]);
        Assert.True(without.ExitCode == 1, without.ToString());
        Assert.Equal("unauthorized", JsonNode.Parse(without.Stdout)!["error"]!["code"]!.GetValue<string>());

        var with = await Cohort([.. command, "--addr", fixture.Master, "--auth-token", TokenClusterFixture.Token, "--json"]);
        Assert.True(with.ExitCode == 0, with.ToString());
        Assert.Null(JsonNode.Parse(with.Stdout)!["error"]);
    }

    [Fact]
    public async Task Health_TakesTheTokenAndNeedsNone()
    {
        foreach (var extra in new[] { Array.Empty<string>(), ["--auth-token", TokenClusterFixture.Token] })
        {
            var run = await Cohort(["health", "--addr", fixture.Master, "--json", .. extra]);
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Equal(fixture.Master, JsonNode.Parse(run.Stdout)!["address"]!.GetValue<string>());
        }
    }
}
