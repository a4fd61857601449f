using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Cohort.IntegrationTests.Harness;
using Cohort.Server;

namespace Cohort.IntegrationTests;

/// <summary>
/// Issue 17, item 8: a node listens where its <c>--addr</c> points — loopback for <c>localhost</c>, the IP for an IP —
/// and warns at start when it listens beyond loopback without <c>--auth-token</c>.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ListenAddressTests
{
    [Fact]
    public void ListenAddresses_AreWhatTheHostNames()
    {
        Assert.All(CohortNode.ListenAddresses("localhost"), ip => Assert.True(IPAddress.IsLoopback(ip), ip.ToString()));
        Assert.Equal([IPAddress.Parse("127.0.0.1")], CohortNode.ListenAddresses("127.0.0.1"));
        Assert.Equal([IPAddress.Parse("10.1.2.3")], CohortNode.ListenAddresses("10.1.2.3"));
        Assert.Equal([IPAddress.IPv6Loopback], CohortNode.ListenAddresses("[::1]"));
        Assert.Equal([IPAddress.Any], CohortNode.ListenAddresses("0.0.0.0"));
        Assert.False(IPAddress.IsLoopback(Assert.Single(CohortNode.ListenAddresses("*"))));
    }

    [Fact]
    public async Task Localhost_ListensOnLoopbackOnly_AndDoesNotWarn()
    {
        var port = FreePorts.Take(1)[0];
        await using var node = await StartedNode.StartAsync($"localhost:{port}", authToken: null);

        using (var loopback = new TcpClient())
        {
            await loopback.ConnectAsync(IPAddress.Loopback, port);
        }

        foreach (var ip in OwnAddresses())
        {
            using var outside = new TcpClient(ip.AddressFamily);
            var error = await Assert.ThrowsAsync<SocketException>(async () => await outside.ConnectAsync(ip, port));
            Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
        }

        await node.AssertNoWarningAsync();
    }

    [Fact]
    public async Task EveryInterface_WithoutAToken_Warns_AndWithATokenDoesNot()
    {
        var ports = FreePorts.Take(2);
        await using (var open = await StartedNode.StartAsync($"0.0.0.0:{ports[0]}", authToken: null))
        {
            await Wait.UntilAsync(() => Task.FromResult(open.Printed("[6003]")), Wait.Long, "the warning about listening beyond loopback", () => open.Output);
            Assert.True(open.Printed("without --auth-token"), open.Output);
        }

        await using var guarded = await StartedNode.StartAsync($"0.0.0.0:{ports[1]}", authToken: "listen-test-token");
        await guarded.AssertNoWarningAsync();
    }

    // This machine's own non-loopback IPv4 addresses (none in a bare container: then only loopback is checked).
    private static List<IPAddress> OwnAddresses() =>
        [.. NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))];

    /// <summary>A single master started from the built <c>cohort</c> with a given <c>--addr</c>, killed (by its process) at the end.</summary>
    private sealed class StartedNode : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly string _directory;
        private readonly ConcurrentQueue<string> _lines = new();

        private StartedNode(Process process, string directory)
        {
            _process = process;
            _directory = directory;
        }

        public string Output => string.Join('\n', _lines);

        public bool Printed(string text) => _lines.Any(l => l.Contains(text, StringComparison.Ordinal));

        // The warning would be logged right after "started" (event 6000); logging is asynchronous, so give it a moment.
        public async Task AssertNoWarningAsync()
        {
            await Wait.UntilAsync(() => Task.FromResult(Printed("[6000]")), Wait.Long, "the node's started line", () => Output);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(2);
            while (DateTime.UtcNow < deadline)
            {
                Assert.False(Printed("[6003]"), Output);
                await Task.Delay(100);
            }
        }

        public static async Task<StartedNode> StartAsync(string address, string? authToken)
        {
            var directory = Path.Combine(Path.GetTempPath(), "cohort-listen-" + Guid.NewGuid().ToString("N"));
            var info = new ProcessStartInfo(Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "cohort.dll"));
            foreach (var argument in new[] { "start-master", "--addr", address, "--data-dir", directory })
            {
                info.ArgumentList.Add(argument);
            }

            if (authToken is not null)
            {
                info.ArgumentList.Add("--auth-token");
                info.ArgumentList.Add(authToken);
            }

            info.Environment.Remove("COHORT_AUTH_TOKEN");
            info.Environment.Remove("POSTGRES_DSN");
            info.Environment.Remove("COHORT_CRASH_AT");
            var process = Process.Start(info) ?? throw new InvalidOperationException("cohort did not start");
            var node = new StartedNode(process, directory);
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            void OnLine(string? line)
            {
                if (line is null)
                {
                    return;
                }

                node._lines.Enqueue(line);
                if (line.StartsWith("READY ", StringComparison.Ordinal))
                {
                    ready.TrySetResult();
                }
            }

            process.OutputDataReceived += (_, e) => OnLine(e.Data);
            process.ErrorDataReceived += (_, e) => OnLine(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                await ready.Task.WaitAsync(TimeSpan.FromSeconds(90));
            }
            catch (TimeoutException)
            {
                await node.DisposeAsync();
                throw new TimeoutException($"cohort --addr {address} printed no READY line:\n{node.Output}");
            }

            return node;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // Best effort.
            }
        }
    }
}
