using Cohort.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests.Cli;

/// <summary>
/// Issue 17: the README's quick start starts nodes in the background (<c>&amp;</c>) and runs <c>cohort wait</c> before
/// anything else. <c>wait</c> starts while the nodes are still starting, returns once a master is confirmed and sees
/// every node, and the commands after it work at once.
/// </summary>
[Trait("Category", "Integration")]
public sealed class QuickStartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Wait_RightAfterStartingNodesInTheBackground_ReturnsWhenReady_ThenStatusAndWritesWork()
    {
        var root = Directory.CreateTempSubdirectory("cohort-quickstart-").FullName;
        var ports = FreePorts.Take(2);
        var addresses = ports.Select(p => $"127.0.0.1:{p}").ToArray();
        var master = new NodeProcess("master", ports[0], true, addresses[0], addresses, ["kv:users"], root, null, "1s");
        var node = new NodeProcess("node1", ports[1], false, addresses[0], addresses, ["queue:events"], root, null, "1s") { AllPeers = true };
        try
        {
            // As `cohort start-master … &` and `cohort start-node … &`: nobody waits for them before `cohort wait`.
            var starting = Task.WhenAll(master.StartAsync(), node.StartAsync());
            var wait = await CohortCli.RunAsync(["wait", "--nodes", string.Join(',', addresses), "--timeout", "60s"], timeout: TimeSpan.FromSeconds(90));
            output.WriteLine($"$ cohort wait\n{wait}");
            await starting;
            Assert.True(wait.ExitCode == 0, wait.ToString() + "\n" + master.Tail() + "\n" + node.Tail());
            Assert.Contains("ready: master", wait.Stdout);

            var status = await CohortCli.RunAsync("status", "--nodes", string.Join(',', addresses));
            output.WriteLine($"$ cohort status\n{status}");
            Assert.True(status.ExitCode == 0, status.ToString());

            var put = await CohortCli.RunAsync("kv", "put", "--addr", addresses[1], "-r", "kv:users", "user:1", """{"name":"Alice"}""");
            Assert.True(put.ExitCode == 0, put.ToString());
            var enqueue = await CohortCli.RunAsync("queue", "enqueue", "--addr", addresses[0], "-r", "queue:events", "welcome", "user:1");
            Assert.True(enqueue.ExitCode == 0, enqueue.ToString());
        }
        finally
        {
            await master.DisposeAsync();
            await node.DisposeAsync();
            Directory.Delete(root, recursive: true);
        }
    }
}
