namespace Cohort.IntegrationTests.Cli;

/// <summary>
/// Issue 8: the README's one-command demo, run as a new user would (the built <c>cohort</c> executable, <c>cohort
/// demo</c>, from a fresh working directory): it starts its own cluster, proves atomicity both ways, stops everything,
/// and exits 0.
/// </summary>
[Trait("Category", "Integration")]
public sealed class DemoTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Demo_AsInTheReadme_CommitsAcrossFourEnginesShowsAFailedOneLeftNothingAndExitsZero()
    {
        var workingDirectory = Directory.CreateTempSubdirectory("cohort-demo-user-").FullName;
        try
        {
            var run = await CohortCli.RunAsync(["demo"], timeout: TimeSpan.FromMinutes(3), workingDirectory: workingDirectory);
            output.WriteLine(run.ToString());
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains("committed transaction", run.Stdout);
            Assert.Contains("ok   sql:app: users = (1, Alice, alice@example.com)", run.Stdout);
            Assert.Contains("ok   resource:points: alice 500.00 PTS, treasury 500.00 PTS", run.Stdout);
            Assert.Contains("failed: insufficient_funds", run.Stdout);
            Assert.Contains("ok   batch aborted: insufficient_funds", run.Stdout);
            Assert.Contains("(no Bob, no Carol)", run.Stdout);
            Assert.DoesNotContain("FAIL", run.Stdout);
            Assert.Contains("Demo passed", run.Stdout);
            Assert.Empty(run.Stderr.Trim());

            // It left nothing running and wrote nothing in the user's directory.
            Assert.Empty(Directory.EnumerateFileSystemEntries(workingDirectory));
        }
        finally
        {
            Directory.Delete(workingDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task Demo_WithJson_TellsTheStoryOnStderr_AndPrintsOneSummary()
    {
        var run = await CohortCli.RunAsync(["demo", "--json"], timeout: TimeSpan.FromMinutes(3));
        output.WriteLine(run.ToString());
        Assert.True(run.ExitCode == 0, run.ToString());
        var summary = System.Text.Json.Nodes.JsonNode.Parse(run.Stdout)!;
        Assert.True(summary["passed"]!.GetValue<bool>());
        var nodes = summary["nodes"]!.AsArray();
        Assert.Equal(3, nodes.Count);
        Assert.Single(nodes, n => n!["master"]!.GetValue<bool>());
        Assert.Contains("Demo passed", run.Stderr);
        Assert.Contains("ok   batch aborted: insufficient_funds", run.Stderr);
    }
}
