using System.Collections.Immutable;
using Cohort.Cluster;
using Cohort.Coordination;
using Cohort.Core;
using Cohort.Protocol;
using Cohort.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Cohort.Server.Endpoints;

/// <summary>
/// Health, role and membership: the seed's <c>/health</c>, <c>/role</c>, <c>/cluster/nodes</c>, <c>/cluster/join</c>,
/// <c>/cluster/add</c> (same paths, compatible shapes, more fields) plus <c>/cluster/remove</c>,
/// <c>/cluster/summary</c> and the heartbeat. None of them waits on transaction work. Membership changes run on the
/// master; any other node passes them on.
/// </summary>
internal static class ClusterEndpoints
{
    public static void Map(WebApplication app, CohortNode node)
    {
        app.MapGet("/health", () => NodeMiddleware.Json(Value.Map(("status", "OK"), ("address", node.Address), ("role", Role(node)))));

        app.MapGet("/role", () => NodeMiddleware.Json(Value.Map(
            ("role", Role(node)),
            ("address", node.Address),
            ("master", Value.From(node.Cluster.Master)),
            ("epoch", node.Cluster.Epoch),
            ("leader", node.Cluster.IsLeader))));

        app.MapPost("/cluster/heartbeat", async (HttpContext c, CancellationToken _) =>
        {
            var message = HttpClusterTransport.Read(await NodeMiddleware.ReadJsonAsync(c));
            return NodeMiddleware.Json(HttpClusterTransport.Write(node.Cluster.OnHeartbeat(message)));
        });

        // Besides the seed's fields, what an operator reads (the dashboard): how long ago this node last heard from each
        // member (by this node's clock, so a browser's clock does not matter) and the heartbeats to it that failed.
        app.MapGet("/cluster/nodes", () =>
        {
            var now = node.Time.GetUtcNow();
            return NodeMiddleware.Json(Value.Map(
                ("master_addr", Value.From(node.Cluster.Master)),
                ("epoch", node.Cluster.Epoch),
                ("members_version", node.Cluster.MembersVersion),
                ("self", node.Address),
                ("now", WireFields.Time(now)),
                ("nodes", Value.List(ImmutableArray.CreateRange(node.Cluster.Members.Select(m => Value.Map(
                    ("address", m.Address),
                    ("role", m.IsMaster ? "MASTER" : "SLAVE"),
                    ("alive", m.Alive),
                    ("last_seen", m.LastSeen is { } seen ? WireFields.Time(seen) : Value.Null),
                    ("last_seen_ms", m.LastSeen is { } at ? (long)Math.Max(0, (now - at).TotalMilliseconds) : Value.Null),
                    ("epoch", m.Epoch),
                    ("resources", Value.List(ImmutableArray.CreateRange(m.Resources.Select(Value.From)))),
                    ("in_flight", m.InFlight),
                    ("last_error", Value.From(m.LastError)),
                    ("last_error_at", m.LastErrorAt is { } failed ? WireFields.Time(failed) : Value.Null),
                    ("consecutive_failures", m.ConsecutiveFailures),
                    ("failures", m.Failures))))))));
        });

        app.MapGet("/cluster/summary", () =>
        {
            var members = node.Cluster.Members;
            return NodeMiddleware.Json(Value.Map(
                ("master_addr", Value.From(node.Cluster.Master)),
                ("epoch", node.Cluster.Epoch),
                ("nodes", members.Count),
                ("alive", members.Count(m => m.Alive)),
                ("resources", node.Cluster.Homes.Count + members.Count(m => m.Alive)),
                ("in_flight", members.Where(m => m.Alive).Sum(m => m.InFlight)),
                ("in_doubt", node.Coordinator.List(TransactionState.InDoubt, int.MaxValue).Count)));
        });

        // The seed's join: {"address"} (Cohort nodes send their whole heartbeat state); answered by the master.
        app.MapPost("/cluster/join", async (HttpContext c, CancellationToken _) =>
        {
            var body = await NodeMiddleware.ReadJsonAsync(c);
            var joiner = HttpClusterTransport.Read(body);
            return await OnMasterAsync(node, "cluster/join", body, c, async () =>
            {
                var state = await node.Cluster.JoinAsync(joiner, c.RequestAborted);
                return Value.Map(
                    ("success", true),
                    ("master_addr", Value.From(state.Master)),
                    ("cluster_nodes", Value.List(ImmutableArray.CreateRange(state.Members.Select(Value.From)))),
                    ("state", HttpClusterTransport.Write(state)));
            });
        });

        app.MapPost("/cluster/add", async (HttpContext c, CancellationToken _) =>
        {
            var body = await NodeMiddleware.ReadJsonAsync(c);
            var address = Address(body);
            return await OnMasterAsync(node, "cluster/add", body, c, async () =>
            {
                var added = await node.Cluster.AddAsync(address, c.RequestAborted);
                return Value.Map(("success", true), ("added", added), ("members_version", node.Cluster.MembersVersion));
            });
        });

        app.MapPost("/cluster/remove", async (HttpContext c, CancellationToken _) =>
        {
            var body = await NodeMiddleware.ReadJsonAsync(c);
            var address = Address(body);
            var force = body.TryGetField("force", out var f) && f.Kind == ValueKind.Bool && f.AsBool();
            return await OnMasterAsync(node, "cluster/remove", body, c, async () => await node.Cluster.RemoveAsync(address, force, c.RequestAborted)
                ? Value.Map(("success", true), ("members_version", node.Cluster.MembersVersion))
                : throw new CohortException(ErrorCodes.NotFound, $"Node {address} is not a member.", isTransient: false));
        });
    }

    private static string Role(CohortNode node) => node.IsMaster ? "MASTER" : "SLAVE";

    private static async Task<IResult> OnMasterAsync(CohortNode node, string path, Value body, HttpContext context, Func<Task<Value>> run)
    {
        if (node.Cluster.IsLeader)
        {
            return NodeMiddleware.Json(await run());
        }

        var master = node.Cluster.Master;
        if (master is null || master == node.Address)
        {
            throw new CohortException(ErrorCodes.NoLeader, "No master is confirmed right now (an election may be under way); retry shortly.", isTransient: true);
        }

        return NodeMiddleware.Json(await node.Client.PostAsync(master, path, body, context.RequestAborted));
    }

    private static string Address(Value body)
    {
        var address = WireFields.Str(body, "address");
        return NodeAddress.TryParse(address, out _) ? address : throw new CohortException(ErrorCodes.BadJson, $"'{address}' is not host:port.", isTransient: false);
    }
}
