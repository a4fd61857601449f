using System.CommandLine;
using System.Globalization;

namespace Cohort.Cli;

/// <summary>
/// <c>cohort up</c>: a local three-node cluster in one command (master with kv:users; a node with queue:events and
/// resource:points; a node with sql:app; each with its sql:default shard), data in <c>./cohort-data</c>, until Ctrl+C.
/// </summary>
internal static class UpCommand
{
    public static Command Create()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Where the nodes keep their data (one folder per port) and logs.", DefaultValueFactory = _ => "cohort-data" };
        var port = CliOptions.Count("--port", "The master's port; the other nodes take the next two.", 7001, 1, 65533);
        var heartbeat = CliOptions.Duration("--heartbeat", "Heartbeat interval.", TimeSpan.FromSeconds(1), max: TimeSpan.FromMinutes(1));
        var token = CliOptions.AuthToken();
        var (etcd, etcdPrefix, leaseTtl) = CliOptions.EtcdOptions();
        var command = new Command("up", "Run a local three-node cluster (embedded engines, data in ./cohort-data) until Ctrl+C.") { dataDir, port, heartbeat, token, etcd, etcdPrefix, leaseTtl };
        command.SetAction(async (result, invocationToken) =>
        {
            // Ctrl+C and SIGTERM stop the cluster in order: this process kills the nodes it started, then exits.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(invocationToken);
            using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
            using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
            var cancellationToken = stop.Token;
            var output = new CliOutput("up", json: false);
            var first = result.GetValue(port);
            var interval = string.Create(CultureInfo.InvariantCulture, $"{result.GetValue(heartbeat).Value.TotalMilliseconds:R}ms");

            var layout = LocalCluster.DefaultLayout([first, first + 1, first + 2]);
            var directory = Path.GetFullPath(result.GetValue(dataDir)!);
            Console.WriteLine($"Starting 3 nodes (data and logs in {directory}) …");
            LocalCluster cluster;
            try
            {
                var endpoints = CliOptions.EtcdEndpoints(result.GetValue(etcd));
                string[] etcdArguments = endpoints is null ? [] :
                    ["--etcd", endpoints, "--etcd-prefix", result.GetValue(etcdPrefix)!, "--lease-ttl", string.Create(CultureInfo.InvariantCulture, $"{result.GetValue(leaseTtl).Value.TotalSeconds:0}s")];
                cluster = await LocalCluster.StartAsync(directory, layout, interval, CliOptions.Token(result.GetValue(token)), cancellationToken, etcdArguments).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException)
            {
                return output.Fail(ExitCodes.Failed, "start_failed", e.Message);
            }

            await using (cluster.ConfigureAwait(false))
            {
                for (var i = 0; i < layout.Count; i++)
                {
                    var node = layout[i];
                    Console.WriteLine($"  {(node.Address == cluster.Master ? "master" : "node  ")} {node.Address}  sql:default@{node.Address}, {string.Join(", ", node.Resources)}");
                }

                Console.WriteLine();
                Console.WriteLine($"Cluster up. Try: cohort status --nodes {string.Join(',', cluster.Addresses)}");
                Console.WriteLine($"            cohort sql --addr {layout[0].Address} -r sql:app \"SELECT 1 AS one\"");
                Console.WriteLine($"            dashboard: http://{layout[0].Address}/dashboard");
                Console.WriteLine("Press Ctrl+C to stop.");
                try
                {
                    var died = await cluster.AnyExitAsync(cancellationToken).ConfigureAwait(false);
                    return output.Fail(ExitCodes.Failed, "node_exited", $"node process {died.Id.ToString(CultureInfo.InvariantCulture)} exited with code {died.ExitCode.ToString(CultureInfo.InvariantCulture)}; stopping the others (logs in {directory})");
                }
                catch (OperationCanceledException)
                {
                    Console.WriteLine("Stopping …");
                    return ExitCodes.Ok;
                }
            }
        });
        return command;
    }
}
