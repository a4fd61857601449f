using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Cohort.Coordination;
using Cohort.Core;
using Cohort.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Cohort.Server.Endpoints;

/// <summary>
/// The endpoints of the Go seed (2pc-engine-go), same paths and shapes: health and role, the per-node
/// <c>/prepare</c>, <c>/commit</c>, <c>/abort</c> on the node's default shard, <c>/transaction</c> across every alive
/// node's default shard, and cluster membership.
/// </summary>
internal static class SeedEndpoints
{
    private const string DefaultShard = "sql:default";

    public static void Map(WebApplication app, CohortNode node)
    {
        app.MapGet("/health", () => NodeMiddleware.Json(Value.Map(("status", "OK"), ("address", node.Address), ("role", Role(node)))));
        app.MapGet("/role", () => NodeMiddleware.Json(Value.Map(("role", Role(node)), ("address", node.Address))));

        app.MapPost("/prepare", async (HttpContext c, CancellationToken _) =>
        {
            var body = await NodeMiddleware.ReadJsonAsync(c);
            var txId = SeedTxId(WireFormat.Str(body, "transaction_id"));
            var engine = DefaultEngine(node);
            try
            {
                var payload = WireFormat.Field(body, "payload");
                await engine.ApplyAsync(new TransactionContext(txId, node.Time.GetUtcNow() + node.Options.CoordinatorTimeout), Operation.FromValue(Payload(payload)), c.RequestAborted);
                var vote = await engine.PrepareAsync(txId, new PrepareInfo(null), c.RequestAborted);
                if (vote.IsNo)
                {
                    return NodeMiddleware.Json(Value.Map(("status", "ABORT"), ("error", Value.From(vote.Reason))), 500);
                }

                return NodeMiddleware.Json(Value.Map(("status", "READY")));
            }
            catch (CohortException e)
            {
                await engine.AbortAsync(txId, CancellationToken.None);
                return NodeMiddleware.Json(Value.Map(("status", "ABORT"), ("error", e.Message)), 500);
            }
        });

        app.MapPost("/commit", async (HttpContext c, CancellationToken _) =>
        {
            var body = await NodeMiddleware.ReadJsonAsync(c);
            var txId = SeedTxId(WireFormat.Str(body, "transaction_id"));
            var engine = DefaultEngine(node);
            await engine.CommitAsync(txId, engine.Clock.Now(), c.RequestAborted);
            return NodeMiddleware.Json(Value.Map(("success", true)));
        });

        app.MapPost("/abort", async (HttpContext c, CancellationToken _) =>
        {
            var body = await NodeMiddleware.ReadJsonAsync(c);
            await DefaultEngine(node).AbortAsync(SeedTxId(WireFormat.Str(body, "transaction_id")), c.RequestAborted);
            return NodeMiddleware.Json(Value.Map(("success", true)));
        });

        app.MapPost("/transaction", async (HttpContext c, CancellationToken _) => await Forward.OrRun(node, c, async coordinator =>
        {
            var body = await NodeMiddleware.ReadJsonAsync(c);
            var payload = Payload(WireFormat.Field(body, "payload"));
            var shards = node.Cluster.Members.Where(node.IsAlive).Select(m => $"{DefaultShard}{Cluster.NodeSeparator}{m.Address}").ToList();
            var result = await coordinator.ExecuteBatchAsync([.. shards.Select(s => new BatchOperation(s, Operation.FromValue(payload)))], null, "transaction", c.RequestAborted);
            var success = result.Outcome.IsCommitted;
            var message = success
                ? $"committed on {shards.Count} node(s)"
                : $"{result.Outcome.StatusName}: {result.Outcome.Reason}";
            return NodeMiddleware.Json(
                Value.Map(("transaction_id", result.TxId.ToString()), ("success", success), ("status", result.Outcome.StatusName), ("message", message)),
                success ? 200 : result.Outcome.IsInDoubt ? 202 : 409);
        }));

        app.MapGet("/cluster/nodes", () => NodeMiddleware.Json(Value.Map(
            ("master_addr", Value.From(node.Cluster.Master)),
            ("nodes", Value.List(ImmutableArray.CreateRange(node.Cluster.Members.Select(m => Value.Map(
                ("address", m.Address),
                ("role", m.Address == node.Cluster.Master ? "MASTER" : "SLAVE"),
                ("alive", node.IsAlive(m)),
                ("resources", Value.List(ImmutableArray.CreateRange(m.Resources.Select(Value.From))))))))))));

        app.MapPost("/cluster/join", async (HttpContext c, CancellationToken _) =>
        {
            var body = await NodeMiddleware.ReadJsonAsync(c);
            var address = Address(body);
            var resources = body.TryGetField("resources", out var list) && list.Kind == ValueKind.List
                ? list.AsList().Select(r => r.Kind == ValueKind.String ? r.AsString() : throw new CohortException(ErrorCodes.BadJson, "'resources' must be a list of names.", isTransient: false)).ToList()
                : null;
            if (node.IsMaster)
            {
                var known = node.Cluster.Find(address) is { } member && node.IsAlive(member) && member.Resources.Count > 0;
                node.Cluster.Add(address, resources, node.Time.GetUtcNow());
                if (!known)
                {
                    Log.MemberJoined(node.Logger, address, string.Join(", ", resources ?? []));
                }
            }
            else if (node.Cluster.Master is { } master)
            {
                return NodeMiddleware.Json(await node.Client.PostAsync(master, "cluster/join", body, c.RequestAborted));
            }

            return NodeMiddleware.Json(Value.Map(
                ("success", true),
                ("master_addr", Value.From(node.Cluster.Master)),
                ("cluster_nodes", Value.List(ImmutableArray.CreateRange(node.Cluster.Members.Select(m => Value.From(m.Address)))))));
        });

        app.MapPost("/cluster/add", async (HttpContext c, CancellationToken _) =>
        {
            var address = Address(await NodeMiddleware.ReadJsonAsync(c));
            node.Cluster.Add(address, null, node.Time.GetUtcNow()).Alive = false;
            return NodeMiddleware.Json(Value.Map(("success", true)));
        });

        app.MapPost("/cluster/remove", async (HttpContext c, CancellationToken _) =>
        {
            var address = Address(await NodeMiddleware.ReadJsonAsync(c));
            if (address == node.Address)
            {
                throw new CohortException(ErrorCodes.BadOperation, "A node cannot remove itself.", isTransient: false);
            }

            return node.Cluster.Remove(address)
                ? NodeMiddleware.Json(Value.Map(("success", true)))
                : throw new CohortException("not_found", $"Node {address} is not a member.", isTransient: false);
        });

        app.MapGet("/cluster/summary", () =>
        {
            var members = node.Cluster.Members;
            return NodeMiddleware.Json(Value.Map(
                ("master_addr", Value.From(node.Cluster.Master)),
                ("nodes", members.Count),
                ("alive", members.Count(node.IsAlive)),
                ("resources", node.Cluster.Homes.Count + members.Count(node.IsAlive)),
                ("in_doubt", node.Coordinator?.List(TransactionState.InDoubt, int.MaxValue).Count ?? 0)));
        });
    }

    private static string Role(CohortNode node) => node.IsMaster ? "MASTER" : "SLAVE";

    private static ITransactionalEngine DefaultEngine(CohortNode node) =>
        node.Host.GetEngine(DefaultShard) ?? throw new CohortException(CoordinationErrorCodes.UnknownResource, $"Node {node.Address} has no {DefaultShard}.", isTransient: false);

    // The seed's payload defaults to insert; Operation.FromValue recognises a payload by its table and operation.
    private static Value Payload(Value payload) =>
        payload.Kind == ValueKind.Map && !payload.AsMap().ContainsKey("operation") ? Value.Map(payload.AsMap().Add("operation", "insert")) : payload;

    private static string Address(Value body)
    {
        var address = WireFormat.Str(body, "address");
        return Endpoint.TryParse(address, out _) ? address : throw new CohortException(ErrorCodes.BadJson, $"'{address}' is not host:port.", isTransient: false);
    }

    // Seed clients name transactions freely; a name that is not a TxId maps to a fixed one derived from it.
    private static TxId SeedTxId(string name)
    {
        if (TxId.TryParse(name, null, out var id))
        {
            return id;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(name));
        return new TxId(BitConverter.ToUInt64(hash, 0), BitConverter.ToUInt64(hash, 8));
    }
}
