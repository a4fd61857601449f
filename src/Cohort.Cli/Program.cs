using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Cohort.Core;
using Cohort.Engines;
using Cohort.Protocol;
using Cohort.Server;
using Cohort.Transport;

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
            ClusterCommands.Wait(),
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
            ResourceCommands.Create(),
            TxCommand.Create(),
            BenchCommand.Create(),
            BenchPgCommand.Create(),
        };
        return await RunAsync(root, args).ConfigureAwait(false);
    }

    /// <summary>
    /// Parses and runs a command line. The one place where failures become exit codes: a command line that does not
    /// parse or holds a bad value (unknown command or option, a missing required option, a value a parser or validator
    /// refused) prints one line on stderr and exits 2; an exception no command handled prints one line and exits 1
    /// (<c>COHORT_DEBUG=1</c> adds the stack trace). Commands map their own outcomes (<see cref="ExitCodes"/>).
    /// </summary>
    internal static async Task<int> RunAsync(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            var command = CommandPath(parse);
            // The parser reports a missing subcommand next to the unknown word that was meant as one: the word says more.
            var errors = parse.Errors.Select(e => e.Message).Distinct().ToList();
            if (errors.Count > 1 && parse.CommandResult.Command.Subcommands.Count > 0)
            {
                errors = [.. errors.Where(e => !e.StartsWith("Required command", StringComparison.Ordinal))];
            }

            var message = OneLine(errors.Count > 0 ? string.Join("; ", errors.Select(e => e.TrimEnd('.'))) : "the command line does not parse");
            await Console.Error.WriteLineAsync($"{command}: {message} (see '{command} --help')").ConfigureAwait(false);
            return ExitCodes.BadInput;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return 130;
        }
        catch (Exception e)
        {
            var detail = Environment.GetEnvironmentVariable("COHORT_DEBUG") is { Length: > 0 } ? e.ToString() : OneLine(e.Message);
            await Console.Error.WriteLineAsync($"{CommandPath(parse)}: {detail}").ConfigureAwait(false);
            return ExitCodes.Failed;
        }
    }

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = (SymbolResult?)parse.CommandResult; result is not null; result = result.Parent)
        {
            if (result is CommandResult { Command: var c } && c is not RootCommand)
            {
                names.Insert(0, c.Name);
            }
        }

        names.Insert(0, "cohort");
        return string.Join(' ', names);
    }

    private static string OneLine(string text) =>
        string.Join(' ', text.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    // NAME=COPIES of --replicated (copies 2 to 9); null when malformed. The name itself is checked with the node's options.
    private static (string Name, int Copies)? ReplicatedOf(string entry)
    {
        var at = entry.LastIndexOf('=');
        return at > 0 && int.TryParse(entry.AsSpan(at + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var copies) && copies is >= 2 and <= 9
            ? (entry[..at], copies)
            : null;
    }

    private static Command StartCommand(string name, string description, bool master)
    {
        var addr = CliOptions.Addresses(new Option<string>("--addr") { Description = "Address to listen on and be known by (host:port).", Required = true }, list: false, urls: false);
        var nodes = CliOptions.Addresses(new Option<string>("--nodes") { Description = "Comma-separated addresses of the cluster's nodes (include this one, as the seed does); a node not listed joins through them." }, list: true, urls: false);
        var heartbeat = CliOptions.Duration("--heartbeat", "Heartbeat interval.", TimeSpan.FromSeconds(1), max: TimeSpan.FromMinutes(1));
        var misses = CliOptions.Count("--misses", "Heartbeat intervals of silence before a node counts as down and a silent master is replaced.", Cohort.Cluster.ClusterOptions.DefaultMisses, 1, 1000);
        var coordTimeout = CliOptions.Duration("--coord-timeout", "Transaction timeout when a client names none.", TimeSpan.FromSeconds(30), max: TimeSpan.FromHours(1));
        var dataDir = new Option<string?>("--data-dir") { Description = "Data directory (default: ./cohort-data/<port>)." };
        var token = new Option<string?>("--auth-token") { Description = "Bearer token required on every endpoint but /health (default: $COHORT_AUTH_TOKEN)." };
        var resources = new Option<string[]>("--resource") { Description = $"A resource this node hosts besides sql:default (repeatable), e.g. kv:users; engines: {string.Join(", ", EngineFactory.Kinds)}.", AllowMultipleArgumentsPerToken = true };
        resources.Validators.Add(result =>
        {
            foreach (var resource in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (ResourceError(resource) is { } error)
                {
                    result.AddError($"--resource {error}");
                    return;
                }
            }
        });
        var replicated = new Option<string[]>("--replicated")
        {
            Description = "A replicated resource the cluster should have, NAME=COPIES (repeatable), e.g. kv:orders=3: created through the leader once enough members are up, left alone if it exists. Needs --etcd.",
            AllowMultipleArgumentsPerToken = true,
        };
        replicated.Validators.Add(result =>
        {
            foreach (var entry in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (ReplicatedOf(entry) is null)
                {
                    result.AddError($"--replicated '{entry}' must be NAME=COPIES with COPIES from 2 to 9, e.g. kv:orders=3");
                    return;
                }
            }
        });
        var noFsync = new Option<bool>("--no-fsync") { Description = "Do not fsync logs (experiments only: a crash can lose commits)." };
        var dsn = new Option<string?>("--dsn") { Description = "PostgreSQL connection string of this node's pg:default shard, where the seed payload then runs (default: $POSTGRES_DSN)." };
        var messages = CliOptions.OneOf(
            new Option<string>("--messages")
            {
                Description = "How protocol messages travel to other nodes: socket (one WebSocket per node, messages of many transactions sharing frames) or http (one HTTP request each).",
                DefaultValueFactory = _ => "socket",
            },
            "socket",
            "http");
        var (etcd, etcdPrefix, leaseTtl) = CliOptions.EtcdOptions();
        var peerRoutes = CliOptions.PeerRoutes();
        var otlp = new Option<string?>("--otlp-endpoint")
        {
            Description = "Send the node's spans to this OpenTelemetry collector: OTLP over HTTP with a path (http://host:4318/v1/traces), over gRPC without one (http://host:4317).",
        };
        otlp.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } text && (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https")))
            {
                result.AddError($"--otlp-endpoint '{text}' is not an http(s) URL such as http://127.0.0.1:4318/v1/traces");
            }
        });
        var tlsCert = new Option<string?>("--tls-cert")
        {
            Description = "The node's certificate (PEM; intermediates may follow it): with --tls-key the node serves https and wss only and calls the other nodes over https and wss. Every node of a cluster uses TLS or none does; the certificate must name the host of --addr.",
        };
        var tlsKey = new Option<string?>("--tls-key") { Description = "The private key of --tls-cert (PEM, unencrypted)." };
        var tlsCa = new Option<string?>("--tls-ca")
        {
            Description = "With --tls-cert: CA certificates (PEM) the other nodes' certificates must chain to (default: the machine's trust store).",
        };
        var json = CliOptions.Json("When ready, print one JSON line (address, data directory, URL) instead of READY; errors as {\"error\":{\"code\",\"detail\"}}.");
        var command = new Command(name, description) { addr, nodes, heartbeat, misses, coordTimeout, dataDir, token, resources, noFsync, dsn, messages, etcd, etcdPrefix, leaseTtl, peerRoutes, replicated, otlp, tlsCert, tlsKey, tlsCa, json };
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = new CliOutput(name, result.GetValue(json));
            var address = result.GetValue(addr)!;
            var port = NodeAddress.TryParse(address, out var ep) ? ep.Port : 0;
            NodeOptions options;
            try
            {
                options = new NodeOptions
                {
                    Address = address,
                    IsMaster = master,
                    Nodes = [.. (result.GetValue(nodes) ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
                    Heartbeat = result.GetValue(heartbeat).Value,
                    Misses = result.GetValue(misses),
                    CoordinatorTimeout = result.GetValue(coordTimeout).Value,
                    DataDirectory = result.GetValue(dataDir) ?? Path.Combine("cohort-data", port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    AuthToken = result.GetValue(token) ?? Environment.GetEnvironmentVariable("COHORT_AUTH_TOKEN"),
                    Resources = result.GetValue(resources) ?? [],
                    Replicated = (result.GetValue(replicated) ?? []).Select(e => ReplicatedOf(e)!.Value).GroupBy(e => e.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Copies, StringComparer.Ordinal),
                    Fsync = !result.GetValue(noFsync),
                    MessageSockets = result.GetValue(messages) == "socket",
                    Dsn = result.GetValue(dsn) ?? (Environment.GetEnvironmentVariable("POSTGRES_DSN") is { Length: > 0 } envDsn ? envDsn : null),
                    Etcd = CliOptions.EtcdEndpoints(result.GetValue(etcd)),
                    EtcdPrefix = result.GetValue(etcdPrefix)!,
                    LeaseTtl = result.GetValue(leaseTtl).Value,
                    PeerRoutes = CliOptions.PeerRoutesOf(result.GetValue(peerRoutes)),
                    OtlpEndpoint = result.GetValue(otlp) is { } endpoint ? new Uri(endpoint) : null,
                    TlsCertificatePath = result.GetValue(tlsCert),
                    TlsKeyPath = result.GetValue(tlsKey),
                    TlsCaPath = result.GetValue(tlsCa),
                };
                options.Validate();
            }
            catch (Exception e) when (e is ArgumentException or FormatException or CohortException)
            {
                var message = e is ArgumentException { ParamName: { } parameter } ? e.Message.Replace($" (Parameter '{parameter}')", string.Empty, StringComparison.Ordinal) : e.Message;
                return output.BadInput(message);
            }

            CohortNode started;
            try
            {
                started = await CohortNode.StartAsync(options, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (CohortException e)
            {
                // PostgreSQL unreachable or not set up for two-phase commit, a damaged data directory: one line, not a stack trace.
                return output.Fail(e.Code == ErrorCodes.BadOperation ? ExitCodes.BadInput : ExitCodes.Failed, e.Code, $"{e.Code}: {e.Message}");
            }

            await using var node = started;
            var url = $"{(options.TlsCertificatePath is null ? "http" : "https")}://{options.Address}/";
            output.Result(
                Value.Map(("ready", true), ("address", options.Address), ("url", url), ("data_dir", Path.GetFullPath(options.DataDirectory))),
                () => $"READY {options.Address}");
            await node.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static Command HealthCommand()
    {
        var command = new Command("health", "Show a node's health (GET /health, which needs no token): its address, role and status; with a list, the first node that answers.");
        var flags = ClientFlags.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = flags.Output(result, "health");
            using var http = flags.Http(result, TimeSpan.FromSeconds(5));
            var answer = await http.SendFirstAsync(flags.Addresses(result), HttpMethod.Get, "health", null, cancellationToken).ConfigureAwait(false);
            if (answer.Unreachable is not null || answer.IsProblem)
            {
                return output.Problem(answer);
            }

            output.Result(answer.Body, () => $"{Field(answer.Body, "address")}: {Field(answer.Body, "status")} ({Field(answer.Body, "role")})");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Field(Value body, string name) =>
        body.Kind == ValueKind.Map && body.TryGetField(name, out var value) && !value.IsNull ? CliRun.Show(value) : "-";

    /// <summary>Why <paramref name="resource"/> cannot be hosted by a node (<see langword="null"/> when it can).</summary>
    internal static string? ResourceError(string resource)
    {
        try
        {
            var kind = EngineFactory.KindOf(resource);
            return EngineFactory.Kinds.Contains(kind) ? null : $"'{resource}' names no engine a node hosts: use {string.Join(", ", EngineFactory.Kinds.Select(k => k + ":<name>"))}";
        }
        catch (CohortException e)
        {
            return e.Message.TrimEnd('.');
        }
    }
}
