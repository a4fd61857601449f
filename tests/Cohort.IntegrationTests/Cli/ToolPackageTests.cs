using System.Diagnostics;

namespace Cohort.IntegrationTests.Cli;

/// <summary>
/// The packages as users get them. Issue 8: <c>cohort</c> installs as a .NET tool (<c>scripts/install-tool.sh &lt;temp
/// tool path&gt;</c>: dotnet pack of Cohort.Tool, Cohort.Core and Cohort.Client into a temp folder, then <c>dotnet tool
/// update --tool-path … --add-source …</c>) and the installed command runs. Issue 22: <c>scripts/pack.sh</c> makes a feed
/// from which a fresh application restores the client in one step and runs it.
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

    [Fact]
    public async Task PackScript_MakesAFeed_FromWhichAFreshAppRestoresTheClientInOneStep_AndRunsIt()
    {
        var script = FindRepositoryFile("scripts/pack.sh");
        var repository = Path.GetDirectoryName(Path.GetDirectoryName(script))!;
        var root = Directory.CreateTempSubdirectory("cohort-pack-").FullName;
        try
        {
            var feed = Path.Combine(root, "feed");
            var built = File.Exists(Path.Combine(repository, "src/Cohort.Client.DependencyInjection/bin/Release/net10.0/Cohort.Client.DependencyInjection.dll"));
            var pack = await RunAsync("bash", [script, feed], new Dictionary<string, string> { ["COHORT_PACK_NO_BUILD"] = built ? "1" : "0" }, TimeSpan.FromMinutes(8));
            Assert.True(pack.ExitCode == 0, pack.Output);
            foreach (var package in new[] { "Cohort.Core", "Cohort.Protocol", "Cohort.Client", "Cohort.Client.DependencyInjection" })
            {
                Assert.True(File.Exists(Path.Combine(feed, $"{package}.0.1.0.nupkg")), $"{package}: {pack.Output}");
                Assert.True(File.Exists(Path.Combine(feed, $"{package}.0.1.0.snupkg")), $"{package} symbols: {pack.Output}");
                using var archive = System.IO.Compression.ZipFile.OpenRead(Path.Combine(feed, $"{package}.0.1.0.nupkg"));
                Assert.NotNull(archive.GetEntry("README.md"));
            }

            // A new application that knows nothing of this repository: only the feed (and the usual package source).
            var app = Path.Combine(root, "app");
            Directory.CreateDirectory(app);
            await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="cohort" value="{feed}" />
                  </packageSources>
                </configuration>
                """);
            await File.WriteAllTextAsync(Path.Combine(app, "app.csproj"), """
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Cohort.Client.DependencyInjection" Version="0.1.0" />
                  </ItemGroup>
                </Project>
                """);
            await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), """
                using Cohort.Client;
                using Microsoft.Extensions.DependencyInjection;

                var services = new ServiceCollection();
                services.AddCohortClient(o => o.Addresses = ["127.0.0.1:7001"]);
                using var provider = services.BuildServiceProvider();
                var client = provider.GetRequiredService<ICohortClient>();
                var row = SqlResult.FromValue(Cohort.Core.ValueJson.Parse("{'columns':['user_id'],'rows':[[7]]}".Replace('\'', '"'))).Rows[0].As<User>();
                Console.WriteLine($"client of {string.Join(",", client.Options.Addresses)}; user {row.UserId}");

                internal sealed record User(long UserId);
                """);
            var run = await RunAsync("dotnet", ["run", "--project", app, "-nologo"], null, TimeSpan.FromMinutes(6));
            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Contains("client of 127.0.0.1:7001; user 7", run.Output);
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
