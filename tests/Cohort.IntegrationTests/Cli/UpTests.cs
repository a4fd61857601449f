using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Cohort.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests.Cli;

/// <summary>
/// Issue 22: <c>cohort up --node-count N</c> starts N nodes, and when one of them dies the others keep running (so a
/// user can try failover) until SIGTERM stops them all.
/// </summary>
[Trait("Category", "Integration")]
public sealed class UpTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Up_StartsNNodes_AndKeepsTheSurvivorsWhenOneDies()
    {
        var root = Directory.CreateTempSubdirectory("cohort-up-").FullName;
        var port = AdjacentFreePorts(2);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "cohort.dll"), "up", "--node-count", "2", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data-dir", root, "--heartbeat", "300ms", "--json" })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("COHORT_AUTH_TOKEN");
        info.Environment.Remove("COHORT_ETCD");
        using var up = Process.Start(info)!;
        var stderr = new System.Text.StringBuilder();
        up.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (stderr) { stderr.AppendLine(e.Data); } } };
        up.BeginErrorReadLine();
        var pids = new List<int>();
        try
        {
            using var started = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            var first = await up.StandardOutput.ReadLineAsync(started.Token);
            output.WriteLine($"up: {first}");
            Assert.True(first is not null, $"up printed nothing: {stderr}");
            var cluster = JsonNode.Parse(first)!;
            var nodes = cluster["nodes"]!.AsArray();
            Assert.Equal(2, nodes.Count);
            pids.AddRange(nodes.Select(n => n!["pid"]!.GetValue<int>()));
            var master = cluster["master"]!.GetValue<string>();
            var other = nodes.Single(n => n!["address"]!.GetValue<string>() != master)!;
            Assert.Contains("kv:users", nodes.SelectMany(n => n!["resources"]!.AsArray()).Select(r => r!.GetValue<string>()));

            // Kill the node that is not the master (a child of the up process this test started, by its id).
            using (var victim = Process.GetProcessById(other["pid"]!.GetValue<int>()))
            {
                victim.Kill();
            }

            await Wait.UntilAsync(() => Task.FromResult(Text(stderr).Contains($"node {other["address"]!.GetValue<string>()}", StringComparison.Ordinal)), TimeSpan.FromSeconds(30), "up reports the node's exit", () => Text(stderr));
            Assert.Contains("1 node still running", Text(stderr));
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.False(up.HasExited, $"up stopped when one node died: {Text(stderr)}");

            var health = await CohortCli.RunAsync("health", "--addr", master, "--json");
            output.WriteLine(health.ToString());
            Assert.True(health.ExitCode == 0, health.ToString());
            Assert.Equal(master, JsonNode.Parse(health.Stdout)!["address"]!.GetValue<string>());

            // SIGTERM stops up and the node it still runs.
            using (var kill = Process.Start("kill", ["-TERM", up.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var stopped = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await up.WaitForExitAsync(stopped.Token);
            Assert.True(up.ExitCode == 0, $"exit {up.ExitCode}: {Text(stderr)}");
            Assert.False(IsRunning(pids[0]) || IsRunning(pids[1]), "a node outlived up");
        }
        finally
        {
            if (!up.HasExited)
            {
                up.Kill(entireProcessTree: true);
            }

            foreach (var pid in pids.Where(IsRunning))
            {
                using var leftover = Process.GetProcessById(pid);
                leftover.Kill();
            }

            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("10")]
    public async Task Up_RefusesANodeCountOutOfRange(string count)
    {
        var run = await CohortCli.RunAsync("up", "--node-count", count);
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains($"--node-count '{count}'", run.Stderr);
    }

    [Fact]
    public async Task Up_RefusesPortsBeyond65535()
    {
        var run = await CohortCli.RunAsync("up", "--node-count", "3", "--port", "65534", "--json");
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("leaves no room for 3 nodes", run.Stderr);
        Assert.Equal("bad_input", JsonNode.Parse(run.Stdout)!["error"]!["code"]!.GetValue<string>());
    }

    private static string Text(System.Text.StringBuilder builder)
    {
        lock (builder)
        {
            return builder.ToString();
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    // A port p such that p .. p+count-1 are all free on 127.0.0.1 now (a few tries, each from a port the OS picked).
    private static int AdjacentFreePorts(int count)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var start = FreePorts.Take(1)[0];
            if (start + count - 1 > 65535)
            {
                continue;
            }

            var listeners = new List<TcpListener>();
            try
            {
                for (var i = 0; i < count; i++)
                {
                    var listener = new TcpListener(IPAddress.Loopback, start + i);
                    listener.Start();
                    listeners.Add(listener);
                }

                return start;
            }
            catch (SocketException)
            {
                // Taken: try another start.
            }
            finally
            {
                foreach (var listener in listeners)
                {
                    listener.Stop();
                }
            }
        }

        throw new InvalidOperationException($"no {count} adjacent free ports found");
    }
}
