using System.Collections.Immutable;
using System.CommandLine;
using System.Globalization;
using Cohort.Core;

namespace Cohort.Cli;

/// <summary>
/// <c>cohort up</c>: a local cluster in one command, three nodes by default (<c>--node-count</c>: master with kv:users; a
/// node with queue:events and resource:points; a node with sql:app; each with its sql:default shard), data in
/// <c>./cohort-data</c>, until Ctrl+C. A node that dies is reported and the others keep running, so failover can be
/// tried; when the last one has exited, <c>up</c> exits 1.
/// </summary>
internal static class UpCommand
{
    /// <summary>The most nodes <c>cohort up</c> starts.</summary>
    public const int MaxNodes = 9;

    public static Command Create()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Where the nodes keep their data (one folder per port) and logs.", DefaultValueFactory = _ => "cohort-data" };
        var count = CliOptions.Count("--node-count", "How many nodes to start: kv:users, then queue:events and resource:points, then sql:app go to the first three (round the nodes there are when fewer); further nodes hold only their sql:default.", 3, 1, MaxNodes);
        var port = CliOptions.Count("--port", "The master's port; the other nodes take the next ones.", 7001, 1, 65535);
        var heartbeat = CliOptions.Duration("--heartbeat", "Heartbeat interval.", TimeSpan.FromSeconds(1), max: TimeSpan.FromMinutes(1));
        var token = CliOptions.AuthToken();
        var json = CliOptions.Json("Print one JSON line once the cluster is up (data directory, master, each node's address, pid and resources) instead of the banner; errors as JSON too.");
        var (etcd, etcdPrefix, leaseTtl) = CliOptions.EtcdOptions();
        var command = new Command("up", "Run a local cluster (three nodes unless --node-count; embedded engines, data in ./cohort-data) until Ctrl+C; a node that dies is reported and the others keep running.")
        {
            dataDir, count, port, heartbeat, token, json, etcd, etcdPrefix, leaseTtl,
        };
        command.SetAction(async (result, invocationToken) =>
        {
            // Ctrl+C and SIGTERM stop the cluster in order: this process kills the nodes it started, then exits.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(invocationToken);
            using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
            using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
            var cancellationToken = stop.Token;
            var output = new CliOutput("up", result.GetValue(json));
            var first = result.GetValue(port);
            var nodes = result.GetValue(count);
            if (first + nodes - 1 > 65535)
            {
                return output.BadInput($"--port {first.ToString(CultureInfo.InvariantCulture)} leaves no room for {nodes.ToString(CultureInfo.InvariantCulture)} nodes (ports up to 65535)");
            }

            var interval = string.Create(CultureInfo.InvariantCulture, $"{result.GetValue(heartbeat).Value.TotalMilliseconds:R}ms");
            var layout = LocalCluster.DefaultLayout([.. Enumerable.Range(first, nodes)]);
            var directory = Path.GetFullPath(result.GetValue(dataDir)!);
            if (!output.IsJson)
            {
                Console.WriteLine($"Starting {nodes.ToString(CultureInfo.InvariantCulture)} node{(nodes == 1 ? string.Empty : "s")} (data and logs in {directory}) …");
            }

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
                var started = cluster.Started;
                var list = started.Select(s => Value.Map(
                    ("address", s.Node.Address),
                    ("pid", s.ProcessId),
                    ("resources", Value.List(Resources(s.Node).Select(Value.From).ToImmutableArray()))));
                output.Result(
                    Value.Map(("data_dir", directory), ("master", Value.From(cluster.Master)), ("nodes", Value.List(list.ToImmutableArray()))),
                    () => Banner(started, cluster, layout[0].Address));
                return await WatchAsync(cluster, output, directory, cancellationToken).ConfigureAwait(false);
            }
        });
        return command;
    }

    private static string Banner(IReadOnlyList<(LocalCluster.NodeSpec Node, int ProcessId)> started, LocalCluster cluster, string first)
    {
        var lines = started.Select(s =>
            $"  {(s.Node.Address == cluster.Master ? "master" : "node  ")} {s.Node.Address} (pid {s.ProcessId.ToString(CultureInfo.InvariantCulture)})  {string.Join(", ", Resources(s.Node))}").ToList();
        var sqlOn = started.FirstOrDefault(s => s.Node.Resources.Contains("sql:app")).Node?.Address ?? first;
        lines.Add(string.Empty);
        lines.Add($"Cluster up. Try: cohort status --nodes {string.Join(',', cluster.Addresses)}");
        lines.Add($"            cohort sql --addr {sqlOn} -r sql:app \"SELECT 1 AS one\"");
        lines.Add($"            dashboard: http://{first}/dashboard");
        lines.Add("A node that dies leaves the others running (try failover: kill the master's pid). Press Ctrl+C to stop.");
        return string.Join(Environment.NewLine, lines);
    }

    // Its default shard, then the resources it was started with.
    private static IEnumerable<string> Resources(LocalCluster.NodeSpec node) => node.Resources.Prepend($"sql:default@{node.Address}");

    // Reports each node that exits and goes on with the others; Ctrl+C (or SIGTERM) stops them all (exit 0), and when
    // the last node has exited by itself, up exits 1.
    private static async Task<int> WatchAsync(LocalCluster cluster, CliOutput output, string directory, CancellationToken cancellationToken)
    {
        var exited = new List<System.Diagnostics.Process>();
        try
        {
            while (exited.Count < cluster.Nodes.Count)
            {
                var (node, process) = await cluster.NextExitAsync(exited, cancellationToken).ConfigureAwait(false);
                exited.Add(process);
                var left = cluster.Nodes.Count - exited.Count;
                await Console.Error.WriteLineAsync(
                    $"cohort up: node {node.Address} (pid {process.Id.ToString(CultureInfo.InvariantCulture)}) exited with code {process.ExitCode.ToString(CultureInfo.InvariantCulture)} (log: {Path.Combine(directory, node.Port.ToString(CultureInfo.InvariantCulture))}.log); {left.ToString(CultureInfo.InvariantCulture)} node{(left == 1 ? string.Empty : "s")} still running").ConfigureAwait(false);
            }

            return output.Fail(ExitCodes.Failed, "nodes_exited", $"every node has exited (logs in {directory})");
        }
        catch (OperationCanceledException)
        {
            if (!output.IsJson)
            {
                Console.WriteLine("Stopping …");
            }

            return ExitCodes.Ok;
        }
    }
}
