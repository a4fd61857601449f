using System.Diagnostics;
using Cohort.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests.Cli;

/// <summary>
/// Issue 17: the README's C# example is <c>examples/DistributedTransaction</c>, line for line, and it runs as written
/// against a fresh cluster laid out as <c>cohort up</c> lays it out (master with kv:users; a node with queue:events and
/// resource:points; a node with sql:app) — and again against the same cluster.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ExampleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Example_RunsAsWrittenAgainstAFreshCluster_AndAgain()
    {
        await using var cluster = await TestCluster.StartAsync([["kv:users"], ["queue:events", "resource:points"], ["sql:app"]], output);
        var nodes = cluster.Nodes.Select(n => n.Address).ToArray();

        var first = await RunExampleAsync(nodes);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("committed ", first.Stdout);
        Assert.Contains("users: (1, Alice)", first.Stdout);
        Assert.Contains("alice has 500.00 PTS", first.Stdout);
        Assert.Contains("failed midway (insufficient_funds)", first.Stdout);
        Assert.Contains("user:bob missing, 0 row(s) for bob", first.Stdout);

        var second = await RunExampleAsync(nodes);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("alice has 1000.00 PTS", second.Stdout);
    }

    [Fact]
    public void ReadmeSnippet_IsTheExamplesCode()
    {
        var root = RepositoryRoot();
        var readme = File.ReadAllText(Path.Combine(root, "README.md")).ReplaceLineEndings("\n");
        var program = File.ReadAllText(Path.Combine(root, "examples", "DistributedTransaction", "Program.cs")).ReplaceLineEndings("\n");
        var start = readme.IndexOf("```csharp\nusing Cohort.Client;", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no C# block starting with `using Cohort.Client;`");
        start += "```csharp\n".Length;
        var snippet = readme[start..readme.IndexOf("\n```", start, StringComparison.Ordinal)];
        Assert.Contains(snippet, program);
    }

    private async Task<CohortCli.Run> RunExampleAsync(string[] nodes)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "DistributedTransaction.dll"));
        foreach (var node in nodes)
        {
            info.ArgumentList.Add(node);
        }

        info.Environment.Remove("COHORT_AUTH_TOKEN");
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the example");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var run = new CohortCli.Run(process.ExitCode, await stdout, await stderr);
        output.WriteLine($"$ dotnet DistributedTransaction.dll {string.Join(' ', nodes)}\n{run}");
        return run;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cohort.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("the repository root (Cohort.slnx) is not above " + AppContext.BaseDirectory);
    }
}
