using System.Collections.Immutable;
using System.CommandLine;
using Cohort.Core;
using Spectre.Console;

namespace Cohort.Cli;

/// <summary>
/// <c>cohort resources list</c> and <c>cohort resources create &lt;name&gt;</c>: the cluster's resources and where they
/// live (<c>GET /v1/resources</c>), and creating one at run time (<c>POST /v1/resources</c>), replicated with
/// <c>--replicas</c> &gt; 1 on nodes started with <c>--etcd</c>. Any node answers: it knows every placement and passes a
/// creation on to the node that hosts it (or, replicated, to the leader).
/// </summary>
internal static class ResourceCommands
{
    /// <summary>The most copies a resource may have (the node refuses more, with the same bounds).</summary>
    public const int MaxReplicas = 9;

    public static Command Create()
    {
        var command = new Command("resources", "List the cluster's resources and the nodes they live on, or create one (for a token resource's operations see 'cohort resource').");
        command.Subcommands.Add(List());
        command.Subcommands.Add(CreateOne());
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List every resource with its node (a replicated resource's primary), its replicas and configuration version (GET /v1/resources).");
        var flags = ClientFlags.AddTo(command, "The node to ask (host:port), or a comma-separated list: every node knows every resource.");
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = flags.Output(result, "resources list");
            using var http = flags.Http(result);
            var answer = await http.SendFirstAsync(flags.Addresses(result), HttpMethod.Get, "v1/resources", null, cancellationToken).ConfigureAwait(false);
            if (answer.Unreachable is not null || answer.IsProblem)
            {
                return output.Problem(answer);
            }

            output.Render(answer.Body, () =>
            {
                // One replica a line keeps the table narrow on a terminal.
                var table = new Table().AddColumns("name", "node", "replicas", "version", "available");
                foreach (var resource in Items(answer.Body, "resources"))
                {
                    table.AddRow(
                        Markup.Escape(Text(resource, "name")),
                        Markup.Escape(Text(resource, "node")),
                        Markup.Escape(string.Join('\n', Items(resource, "replicas").Select(CliRun.Show))),
                        Markup.Escape(Text(resource, "version")),
                        Available(resource) ? "yes" : "[red]no (node down)[/]");
                }

                return table;
            });
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Whether a listed resource's node is alive (a down node's resources are listed with <c>"available": false</c>).</summary>
    internal static bool Available(Value resource) =>
        !resource.TryGetField("available", out var available) || available.Kind != ValueKind.Bool || available.AsBool();

    private static Command CreateOne()
    {
        var name = new Argument<string>("name") { Description = "The resource to create: kv:<name>, queue:<name>, resource:<name>, sql:<name>, or pg:<name> with --dsn." };
        var replicas = CliOptions.Count("--replicas", "Copies of the resource: 1 is one node's; more places a primary and replicas on as many nodes (nodes started with --etcd).", 1, 1, MaxReplicas);
        var node = CliOptions.Addresses(new Option<string>("--node") { Description = "The node to host it, a replicated resource's primary (host:port; default: the cluster picks the least-loaded alive node)." }, list: false, urls: false);
        var dsn = new Option<string?>("--dsn") { Description = "For a pg: resource, the PostgreSQL connection string of its database." };
        var command = new Command("create", "Create a resource on a node, or replicated with --replicas (POST /v1/resources); prints where it was created.") { name, replicas, node, dsn };
        var flags = ClientFlags.AddTo(command, "The node to send the request to (host:port), or a comma-separated list; any node passes it on.");
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = flags.Output(result, "resources create");
            var fields = ImmutableSortedDictionary.CreateBuilder<string, Value>(StringComparer.Ordinal);
            fields["name"] = result.GetValue(name)!;
            var copies = result.GetValue(replicas);
            if (copies > 1)
            {
                fields["replicas"] = (long)copies;
            }

            if (result.GetValue(node) is { } host)
            {
                fields["node"] = host;
            }

            if (result.GetValue(dsn) is { } connection)
            {
                fields["dsn"] = connection;
            }

            using var http = flags.Http(result);
            var answer = await http.SendFirstAsync(flags.Addresses(result), HttpMethod.Post, "v1/resources", Value.Map(fields.ToImmutable()), cancellationToken).ConfigureAwait(false);
            if (answer.Unreachable is not null || answer.IsProblem)
            {
                return output.Problem(answer);
            }

            output.Result(answer.Body, () => Created(answer.Body));
            return ExitCodes.Ok;
        });
        return command;
    }

    // "created kv:orders on 127.0.0.1:7002", or for a replicated one its primary, replicas and configuration version.
    private static string Created(Value placement)
    {
        var replicas = Items(placement, "replicas");
        return placement.Kind == ValueKind.Map && placement.TryGetField("replicas", out _)
            ? $"created {Text(placement, "name")}: primary {Text(placement, "node")}, replicas {(replicas.IsEmpty ? "none" : string.Join(", ", replicas.Select(CliRun.Show)))} (configuration version {Text(placement, "version")})"
            : $"created {Text(placement, "name")} on {Text(placement, "node")}";
    }

    private static ImmutableArray<Value> Items(Value v, string field) =>
        v.Kind == ValueKind.Map && v.TryGetField(field, out var list) && list.Kind == ValueKind.List ? list.AsList() : [];

    // A field for people; blank when absent (an unreplicated resource has no replicas or version).
    private static string Text(Value v, string field) =>
        v.Kind == ValueKind.Map && v.TryGetField(field, out var f) && !f.IsNull ? CliRun.Show(f) : string.Empty;
}
