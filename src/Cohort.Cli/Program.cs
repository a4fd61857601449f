using System.CommandLine;
using Cohort.Core;
using Cohort.Server;
using Cohort.Server.Http;

namespace Cohort.Cli;

/// <summary>The <c>cohort</c> command line.</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("Cohort: atomic transactions across KV, queue, token and SQL resources on a cluster of nodes.")
        {
            StartCommand("start-master", "Start a node, possibly the first of a cluster (--nodes optional). Any node may be elected master.", master: true),
            StartCommand("start-node", "Start a node of the cluster named by --nodes (it joins through them if not yet a member).", master: false),
            HealthCommand(),
            ClusterCommands.Status(),
            CommitCommand.Create(),
            ClusterCommands.AddNode(),
            ClusterCommands.RemoveNode(),
            ClusterCommands.Dashboard(),
            UpCommand.Create(),
            DemoCommand.Create(),
            SqlCommand.Create(),
            DataCommands.Kv(),
            DataCommands.Queue(),
            DataCommands.Resource(),
            TxCommand.Create(),
            BenchCommand.Create(),
            BenchPgCommand.Create(),
        };
        return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
    }

    private static Command StartCommand(string name, string description, bool master)
    {
        var addr = new Option<string>("--addr") { Description = "Address to listen on and be known by (host:port).", Required = true };
        var nodes = new Option<string?>("--nodes") { Description = "Comma-separated addresses of the cluster's nodes (include this one, as the seed does); a node not listed joins through them." };
        var heartbeat = new Option<string>("--heartbeat") { Description = "Heartbeat interval (500ms, 1s, …).", DefaultValueFactory = _ => "1s" };
        var misses = new Option<int>("--misses") { Description = "Heartbeat intervals of silence before a node counts as down and a silent master is replaced.", DefaultValueFactory = _ => Cohort.Cluster.ClusterOptions.DefaultMisses };
        var coordTimeout = new Option<string>("--coord-timeout") { Description = "Transaction timeout when a client names none.", DefaultValueFactory = _ => "30s" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Data directory (default: ./cohort-data/<port>)." };
        var token = new Option<string?>("--auth-token") { Description = "Bearer token required on every endpoint but /health (default: $COHORT_AUTH_TOKEN)." };
        var resources = new Option<string[]>("--resource") { Description = "A resource this node hosts besides sql:default (repeatable), e.g. kv:users.", AllowMultipleArgumentsPerToken = true };
        var noFsync = new Option<bool>("--no-fsync") { Description = "Do not fsync logs (experiments only: a crash can lose commits)." };
        var dsn = new Option<string?>("--dsn") { Description = "PostgreSQL connection string of this node's pg:default shard, where the seed payload then runs (default: $POSTGRES_DSN)." };
        var messages = new Option<string>("--messages")
        {
            Description = "How protocol messages travel to other nodes: socket (one WebSocket per node, messages of many transactions sharing frames) or http (one HTTP request each).",
            DefaultValueFactory = _ => "socket",
        };
        messages.AcceptOnlyFromAmong("socket", "http");
        var command = new Command(name, description) { addr, nodes, heartbeat, misses, coordTimeout, dataDir, token, resources, noFsync, dsn, messages };
        command.SetAction(async (result, cancellationToken) =>
        {
            var address = result.GetValue(addr)!;
            var port = Endpoint.TryParse(address, out var ep) ? ep.Port : 0;
            NodeOptions options;
            try
            {
                options = new NodeOptions
                {
                    Address = address,
                    IsMaster = master,
                    Nodes = [.. (result.GetValue(nodes) ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
                    Heartbeat = Durations.Parse(result.GetValue(heartbeat)!),
                    Misses = result.GetValue(misses),
                    CoordinatorTimeout = Durations.Parse(result.GetValue(coordTimeout)!),
                    DataDirectory = result.GetValue(dataDir) ?? Path.Combine("cohort-data", port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    AuthToken = result.GetValue(token) ?? Environment.GetEnvironmentVariable("COHORT_AUTH_TOKEN"),
                    Resources = result.GetValue(resources) ?? [],
                    Fsync = !result.GetValue(noFsync),
                    MessageSockets = result.GetValue(messages) == "socket",
                    Dsn = result.GetValue(dsn) ?? (Environment.GetEnvironmentVariable("POSTGRES_DSN") is { Length: > 0 } envDsn ? envDsn : null),
                };
                options.Validate();
            }
            catch (Exception e) when (e is ArgumentException or FormatException or CohortException)
            {
                var message = e is ArgumentException { ParamName: { } parameter } ? e.Message.Replace($" (Parameter '{parameter}')", string.Empty, StringComparison.Ordinal) : e.Message;
                await Console.Error.WriteLineAsync($"cohort {name}: {message}").ConfigureAwait(false);
                return ExitCodes.BadInput;
            }

            CohortNode started;
            try
            {
                started = await CohortNode.StartAsync(options, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (CohortException e)
            {
                // PostgreSQL unreachable or not set up for two-phase commit, a damaged data directory: one line, not a stack trace.
                await Console.Error.WriteLineAsync($"cohort {name}: {e.Code}: {e.Message}").ConfigureAwait(false);
                return e.Code == ErrorCodes.BadOperation ? ExitCodes.BadInput : ExitCodes.Failed;
            }

            await using var node = started;
            Console.WriteLine($"READY {options.Address}");
            await node.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static Command HealthCommand()
    {
        var addr = new Option<string>("--addr") { Description = "Node address (host:port).", DefaultValueFactory = _ => "127.0.0.1:7001" };
        var command = new Command("health", "Show a node's health.") { addr };
        command.SetAction(async (result, cancellationToken) =>
        {
            using var client = new NodeClient(Environment.GetEnvironmentVariable("COHORT_AUTH_TOKEN"), TimeSpan.FromSeconds(5));
            try
            {
                var answer = await client.GetAsync(result.GetValue(addr)!, "health", cancellationToken).ConfigureAwait(false);
                Console.WriteLine(ValueJson.Serialize(answer));
                return 0;
            }
            catch (CohortException e)
            {
                await Console.Error.WriteLineAsync($"cohort health: {e.Message}").ConfigureAwait(false);
                return 1;
            }
        });
        return command;
    }
}
