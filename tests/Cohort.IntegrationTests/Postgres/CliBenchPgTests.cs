using System.Text.Json.Nodes;
using Cohort.IntegrationTests.Cli;
using Cohort.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests.Postgres;

/// <summary>
/// Issue 22: <c>cohort bench-pg</c> takes the flags every client command takes (<c>--addr</c>, <c>--auth-token</c>,
/// <c>--tls-ca</c>, <c>--json</c>): one short round against two real PostgreSQL databases behind a token cluster gives
/// one JSON document with each side's rounds and medians; a node it cannot reach is said at once.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Category", "Postgres")]
public sealed class CliBenchPgTests(PostgresFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task BenchPg_WithTheSharedFlags_PrintsOneJsonReport_AndAnUnreachableNodeAtOnce()
    {
        const string token = "bench-pg-token";
        var databases = new[] { await fixture.Server.CreateDatabaseAsync("benchpg"), await fixture.Server.CreateDatabaseAsync("benchpg") };
        var dsns = databases.Select(d => fixture.Server.ConnectionString(d)).ToArray();
        await using var cluster = await TestCluster.StartAsync([[], []], output, authToken: token, dsns: dsns);
        var resources = string.Join(',', cluster.Nodes.Select(n => $"pg:default@{n.Address}"));

        var run = await CohortCli.RunAsync(
            ["bench-pg", "--addr", cluster.Master.Address, "--auth-token", token, "--resources", resources, "--dsn", dsns[0], "--dsn", dsns[1],
             "--clients", "2", "--warmup", "0", "--duration", "2s", "--rounds", "1", "--json"],
            timeout: TimeSpan.FromMinutes(2));
        output.WriteLine(run.ToString());
        Assert.True(run.ExitCode == 0, run.ToString());
        var report = JsonNode.Parse(run.Stdout)!;
        var cohortRound = report["cohort"]!["rounds"]![0]!;
        Assert.True(cohortRound["committed"]!.GetValue<long>() > 0, run.Stdout);
        Assert.Equal(0, cohortRound["failed"]!.GetValue<long>());
        Assert.True(report["baseline"]!["median_per_second"]!.GetValue<double>() > 0, run.Stdout);
        Assert.True(report["ratio"]!.GetValue<double>() > 0, run.Stdout);
        Assert.Equal(2, report["clients"]!.GetValue<int>());
        Assert.Contains("round 1 cohort:", run.Stderr);

        // Both databases hold the rows of both sides.
        foreach (var database in databases)
        {
            var rows = (long)(await fixture.Server.QueryAsync(database, "SELECT count(*) FROM bench_pg_rows"))[0]!;
            Assert.True(rows >= cohortRound["committed"]!.GetValue<long>(), $"{database}: {rows} rows");
        }

        var unreachable = await CohortCli.RunAsync(
            ["bench-pg", "--addr", $"127.0.0.1:{FreePorts.Take(1)[0]}", "--resources", resources, "--dsn", dsns[0], "--dsn", dsns[1], "--duration", "1s", "--json"],
            timeout: TimeSpan.FromMinutes(1));
        output.WriteLine(unreachable.ToString());
        Assert.Equal(4, unreachable.ExitCode);
        Assert.Equal("unreachable", JsonNode.Parse(unreachable.Stdout)!["error"]!["code"]!.GetValue<string>());

        var noToken = await CohortCli.RunAsync(
            ["bench-pg", "--addr", cluster.Master.Address, "--resources", resources, "--dsn", dsns[0], "--dsn", dsns[1], "--duration", "1s"],
            timeout: TimeSpan.FromMinutes(1),
            environment: new Dictionary<string, string> { ["COHORT_AUTH_TOKEN"] = string.Empty });
        Assert.Equal(1, noToken.ExitCode);
        Assert.Contains("A valid bearer token is required", noToken.Stderr);
        Assert.DoesNotContain("round 1", noToken.Stdout + noToken.Stderr);
    }
}
