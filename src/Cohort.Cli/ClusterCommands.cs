using System.Collections.Immutable;
using System.CommandLine;
using System.Diagnostics;
using Cohort.Core;
using Cohort.Protocol;
using Spectre.Console;

namespace Cohort.Cli;

/// <summary>The seed's cluster commands: <c>status</c>, <c>add-node</c>, <c>remove-node</c>, and <c>dashboard</c>.</summary>
internal static class ClusterCommands
{
    public static Command Status()
    {
        var command = new Command("status", "Show each node's health, role and view of the cluster; exits 1 when a node is unreachable or refuses the request (a wrong or missing --auth-token).");
        var flags = ClientFlags.AddTo(command, "Comma-separated node addresses to ask (every one of them).");
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = flags.Output(result, "status");
            var addresses = flags.Addresses(result);
            using var http = flags.Http(result, TimeSpan.FromSeconds(5));
            var rows = await Task.WhenAll(addresses.Select(async a =>
            {
                var health = await http.SendAsync(a, HttpMethod.Get, "health", null, cancellationToken).ConfigureAwait(false);
                var summary = health.Unreachable is null
                    ? await http.SendAsync(a, HttpMethod.Get, "cluster/summary", null, cancellationToken).ConfigureAwait(false)
                    : health;
                // /health answers without a token; /cluster/summary needs it, so a missing or wrong token shows here.
                var problem = health.Unreachable is { } down ? (Code: "unreachable", Detail: down)
                    : health.IsProblem ? (Code: health.Code, Detail: $"node {a}: {health.Code}: {health.Detail}")
                    : summary.IsProblem ? (Code: summary.Code, Detail: $"node {a}: {summary.Code}: {summary.Detail}{(summary.Status is 401 or 403 ? " (give --auth-token or set COHORT_AUTH_TOKEN)" : string.Empty)}")
                    : ((string Code, string Detail)?)null;
                return (Address: a, Health: health, Summary: summary, Problem: problem);
            })).ConfigureAwait(false);

            var list = rows.Select(r => Value.Map(
                ("address", r.Address),
                ("reachable", r.Health.Unreachable is null),
                ("error", Value.From(r.Problem?.Detail)),
                ("role", Field(r.Health, "role")),
                ("status", r.Problem is { } p ? p.Code : Field(r.Health, "status")),
                ("master_addr", Field(r.Summary, "master_addr")),
                ("nodes", Field(r.Summary, "nodes")),
                ("alive", Field(r.Summary, "alive")),
                ("resources", Field(r.Summary, "resources")),
                ("in_doubt", Field(r.Summary, "in_doubt")))).ToImmutableArray();
            output.Render(Value.Map(("nodes", Value.List(list))), () =>
            {
                var table = new Table().AddColumns("node", "status", "role", "master", "members alive", "resources", "in doubt");
                foreach (var row in list)
                {
                    var failed = row.TryGetField("error", out var error) && !error.IsNull;
                    table.AddRow(
                        Markup.Escape(Text(row, "address")),
                        failed ? $"[red]{Markup.Escape(Text(row, "status"))}[/]" : Markup.Escape(Text(row, "status")),
                        Markup.Escape(Text(row, "role")),
                        Markup.Escape(Text(row, "master_addr")),
                        Markup.Escape($"{Text(row, "alive")}/{Text(row, "nodes")}"),
                        Markup.Escape(Text(row, "resources")),
                        Markup.Escape(Text(row, "in_doubt")));
                }

                return table;
            });
            foreach (var r in rows.Where(r => r.Problem is not null))
            {
                await Console.Error.WriteLineAsync($"cohort status: {r.Problem!.Value.Detail}").ConfigureAwait(false);
            }

            return rows.Any(r => r.Problem is not null) ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// <c>cohort wait</c>: polls until the cluster is ready for transactions — every listed node answers, one of them
    /// (or the master they name) is the confirmed leader, every listed node follows it, and the master sees each listed
    /// node alive (so their resources are placed) — or until <c>--timeout</c>.
    /// </summary>
    public static Command Wait()
    {
        var timeout = CliOptions.Duration("--timeout", "How long to wait before giving up.", TimeSpan.FromSeconds(30), max: TimeSpan.FromHours(1));
        var command = new Command(
            "wait",
            "Wait until the cluster is ready: every listed node answers, a master is confirmed and sees them all alive. Exits 0 when ready, 1 at --timeout or when the nodes refuse the token, 4 when no node ever answered.")
        {
            timeout,
        };
        var flags = ClientFlags.AddTo(command, "Comma-separated addresses of the nodes to wait for (every one of them).");
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = flags.Output(result, "wait");
            var addresses = flags.Addresses(result);
            var limit = result.GetValue(timeout).Value;
            var clock = Stopwatch.StartNew();
            using var http = flags.Http(result, TimeSpan.FromSeconds(2));
            var answered = false;
            while (true)
            {
                var check = await Readiness.CheckAsync(http, addresses, cancellationToken).ConfigureAwait(false);
                answered |= check.AnyAnswered;
                if (check.Master is { } master)
                {
                    output.Result(
                        Value.Map(("ready", true), ("master", master), ("nodes", Value.List(ImmutableArray.CreateRange(addresses.Select(Value.From)))), ("waited_ms", (long)clock.Elapsed.TotalMilliseconds)),
                        () => $"ready: master {master}, {addresses.Length} node(s) alive (waited {clock.Elapsed.TotalSeconds:0.0} s)");
                    return ExitCodes.Ok;
                }

                if (check.Unauthorized)
                {
                    return output.Fail(ExitCodes.Failed, ErrorCodes.Unauthorized, $"{check.Reason} (give --auth-token or set COHORT_AUTH_TOKEN)");
                }

                if (clock.Elapsed >= limit)
                {
                    return output.Fail(answered ? ExitCodes.Failed : ExitCodes.Unreachable, "timeout", $"not ready after {Durations.Show(limit)}: {check.Reason}");
                }

                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(200, Math.Max(1, (limit - clock.Elapsed).TotalMilliseconds))), cancellationToken).ConfigureAwait(false);
            }
        });
        return command;
    }

    public static Command AddNode() => Membership("add-node", "cluster/add", "Tell the master about a node at --addr (POST /cluster/add); it joins once it runs.", force: false);

    public static Command RemoveNode() => Membership("remove-node", "cluster/remove", "Remove the node at --addr from the cluster (POST /cluster/remove).", force: true);

    public static Command Dashboard()
    {
        var open = new Option<bool>("--open") { Description = "Open the page in a browser (xdg-open / open)." };
        var command = new Command("dashboard", "Print the node's dashboard URL and a text snapshot of the cluster (nodes, resources, in-doubt transactions).") { open };
        var flags = ClientFlags.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = flags.Output(result, "dashboard");
            using var http = flags.Http(result, TimeSpan.FromSeconds(5));
            var nodes = await http.SendFirstAsync(flags.Addresses(result), HttpMethod.Get, "cluster/nodes", null, cancellationToken).ConfigureAwait(false);
            if (nodes.Unreachable is not null || nodes.IsProblem)
            {
                return output.Problem(nodes);
            }

            var address = nodes.Address!;
            var url = new Uri(http.UrlOf(address)!, "dashboard").ToString();

            var resources = await http.SendAsync(address, HttpMethod.Get, "v1/resources", null, cancellationToken).ConfigureAwait(false);
            var inDoubt = await http.SendAsync(address, HttpMethod.Get, "v1/tx?state=in-doubt&limit=1000", null, cancellationToken).ConfigureAwait(false);
            var snapshot = Value.Map(("url", url), ("cluster", nodes.Body), ("resources", resources.Body), ("in_doubt", inDoubt.Body));
            output.Render(snapshot, () =>
            {
                var grid = new Rows(
                    new Markup($"Dashboard: [link]{Markup.Escape(url)}[/]{(CliOptions.Token(result.GetValue(flags.Token)) is null ? string.Empty : " (the node has a token: see docs/operations.md)")}"),
                    NodesTable(nodes.Body),
                    ResourcesTable(resources.Body),
                    new Markup($"In-doubt transactions: {Count(inDoubt.Body, "transactions")}{(inDoubt.Body.TryGetField("next", out var next) && !next.IsNull ? " or more" : string.Empty)}"));
                return grid;
            });
            if (result.GetValue(open))
            {
                TryOpen(url);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Membership(string name, string path, string description, bool force)
    {
        var addr = new Option<string>("--addr") { Description = "The node to add or remove (host:port).", Required = true };
        var forceOption = new Option<bool>("--force") { Description = "Remove the node even when it homes resources besides its default shard (they become unreachable)." };
        var command = new Command(name, description) { addr };
        if (force)
        {
            command.Options.Add(forceOption);
        }

        // --addr names the node being added or removed here, so the node to ask is --master or --nodes.
        var flags = ClientFlags.AddTo(command, "The node to send the request to (host:port), or a comma-separated list: the first that answers is used and forwards to the master.", "--master", "--nodes");
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = flags.Output(result, name);
            var address = result.GetValue(addr)!;
            if (!NodeAddress.TryParse(address, out _))
            {
                return output.BadInput($"--addr '{address}' is not host:port");
            }

            var body = force && result.GetValue(forceOption) ? Value.Map(("address", address), ("force", true)) : Value.Map(("address", address));
            using var http = flags.Http(result);
            var answer = await http.SendFirstAsync(flags.Addresses(result), HttpMethod.Post, path, body, cancellationToken).ConfigureAwait(false);
            if (answer.Unreachable is not null || answer.IsProblem)
            {
                return output.Problem(answer);
            }

            output.Result(answer.Body, () => $"{(name == "add-node" ? "added" : "removed")} {address}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Table NodesTable(Value cluster)
    {
        var table = new Table().Title("nodes").AddColumns("address", "role", "alive", "resources");
        foreach (var node in List(cluster, "nodes"))
        {
            table.AddRow(
                Markup.Escape(Text(node, "address")),
                Markup.Escape(Text(node, "role")),
                Text(node, "alive") == "true" ? "[green]yes[/]" : "[red]no[/]",
                Markup.Escape(string.Join(", ", List(node, "resources").Select(CliRun.Show))));
        }

        return table;
    }

    private static Table ResourcesTable(Value resources)
    {
        var table = new Table().Title("resources").AddColumns("resource", "node", "available");
        foreach (var r in List(resources, "resources"))
        {
            table.AddRow(Markup.Escape(Text(r, "name")), Markup.Escape(Text(r, "node")), ResourceCommands.Available(r) ? "yes" : "[red]no (node down)[/]");
        }

        return table;
    }

    private static ImmutableArray<Value> List(Value v, string name) =>
        v.Kind == ValueKind.Map && v.TryGetField(name, out var l) && l.Kind == ValueKind.List ? l.AsList() : [];

    private static int Count(Value v, string name) => List(v, name).Length;

    private static Value Field(CliAnswer answer, string name) =>
        answer.Unreachable is null && answer.Body.Kind == ValueKind.Map && answer.Body.TryGetField(name, out var f) ? f : Value.Null;

    private static string Text(Value row, string name) =>
        row.Kind == ValueKind.Map && row.TryGetField(name, out var v) ? v.Kind == ValueKind.Null ? "-" : CliRun.Show(v) : "-";

    private static void TryOpen(string url)
    {
        try
        {
            using var _ = Process.Start(new ProcessStartInfo(OperatingSystem.IsMacOS() ? "open" : "xdg-open", url) { UseShellExecute = false });
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine($"cohort dashboard: could not open a browser; visit {url}");
        }
    }
}
