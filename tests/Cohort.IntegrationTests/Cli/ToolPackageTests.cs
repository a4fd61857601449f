using System.Diagnostics;

namespace Cohort.IntegrationTests.Cli;

/// <summary>
/// Issue 8: <c>cohort</c> installs as a .NET tool. Runs <c>scripts/install-tool.sh &lt;temp tool path&gt;</c> (dotnet pack of
/// Cohort.Tool, Cohort.Core and Cohort.Client into a temp folder, then <c>dotnet tool update --tool-path … --add-source
/// …</c>) and runs the installed command.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Category", "Slow")]
[Collection(Harness.RunsAlone.Name)] // dotnet pack compiles the whole chain: not alongside timing-sensitive cluster tests
public sealed class ToolPackageTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task InstallToolScript_PacksAndInstallsACohortCommandThatRuns()
    {
        var script = FindRepositoryFile("scripts/install-tool.sh");
        var root = Directory.CreateTempSubdirectory("cohort-tool-").FullName;
        try
        {
            var toolPath = Path.Combine(root, "tools");
            var packages = Path.Combine(root, "packages");
            // When the solution was built in the tree (scripts/test.sh, CI), pack that build instead of compiling it all again.
            var repository = Path.GetDirectoryName(Path.GetDirectoryName(script))!;
            var built = File.Exists(Path.Combine(repository, "src/Cohort.Cli/bin/Release/net10.0/cohort.dll"))
                && File.Exists(Path.Combine(repository, "src/Cohort.Client/bin/Release/net10.0/Cohort.Client.dll"));
            var environment = new Dictionary<string, string> { ["COHORT_PACKAGES"] = packages, ["COHORT_PACK_NO_BUILD"] = built ? "1" : "0" };
            var install = await RunAsync("bash", [script, toolPath], environment, TimeSpan.FromMinutes(8));
            Assert.True(install.ExitCode == 0, install.Output);
            Assert.True(File.Exists(Path.Combine(packages, "Cohort.Tool.0.1.0.nupkg")), install.Output);
            Assert.True(File.Exists(Path.Combine(packages, "Cohort.Client.0.1.0.nupkg")), install.Output);

            var help = await RunAsync(Path.Combine(toolPath, "cohort"), ["--help"], null, TimeSpan.FromMinutes(1));
            Assert.Equal(0, help.ExitCode);
            Assert.Contains("demo", help.Output);
            Assert.Contains("start-master", help.Output);

            var health = await RunAsync(Path.Combine(toolPath, "cohort"), ["health", "--addr", "127.0.0.1:1"], null, TimeSpan.FromMinutes(1));
            Assert.NotEqual(0, health.ExitCode);
            Assert.Contains("unreachable", health.Output);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private async Task<(int ExitCode, string Output)> RunAsync(string file, string[] args, Dictionary<string, string>? environment, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? [])
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var text = await stdout + await stderr;
        output.WriteLine($"$ {file} {string.Join(' ', args)}\n{text}");
        return (process.ExitCode, text);
    }

    // The repository is found from this source file's path (the tests run where they were built), so an output folder
    // outside the tree (--artifacts-path) works too.
    private static string FindRepositoryFile(string relative, [System.Runtime.CompilerServices.CallerFilePath] string source = "")
    {
        for (var dir = new DirectoryInfo(Path.GetDirectoryName(source)!); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate) && File.Exists(Path.Combine(dir.FullName, "Cohort.slnx")))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{relative} not found above {source}");
    }
}
