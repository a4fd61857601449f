using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Cohort.Cluster;
using Cohort.Coordination;
using Cohort.Core;
using Cohort.Protocol;
using Cohort.Server.Services;
using Cohort.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Cohort.Server.Endpoints;

/// <summary>
/// The transaction endpoints of the Go seed (2pc-engine-go), same paths and shapes: the per-node <c>/prepare</c>,
/// <c>/commit</c>, <c>/abort</c> on the node's default shard and <c>/transaction</c> across every alive node's default
/// shard. Health, role and membership are in <see cref="ClusterEndpoints"/>.
/// </summary>
internal static class SeedEndpoints
{
    public static void Map(WebApplication app, CohortNode node, NodeServices services)
    {
        app.MapPost("/prepare", async (HttpContext c, CancellationToken _) =>
        {
            var body = await NodeMiddleware.ReadJsonAsync(c);
            var txId = SeedTxId(WireFields.Str(body, "transaction_id"));
            var engine = DefaultEngine(node, services.Registry);
            try
            {
                var payload = WireFields.Field(body, "payload");
                await engine.ApplyAsync(new TransactionContext(txId, node.Time.GetUtcNow() + node.Options.CoordinatorTimeout), Operation.FromValue(Payload(payload)), c.RequestAborted);
                var vote = await engine.PrepareAsync(txId, new PrepareInfo(CoordinatorNames.SeedClient), c.RequestAborted);
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
            var txId = SeedTxId(WireFields.Str(body, "transaction_id"));
            var engine = DefaultEngine(node, services.Registry);
            await engine.CommitAsync(txId, engine.Clock.Now(), c.RequestAborted);
            return NodeMiddleware.Json(Value.Map(("success", true)));
        });

        app.MapPost("/abort", async (HttpContext c, CancellationToken _) =>
        {
            var body = await NodeMiddleware.ReadJsonAsync(c);
            await DefaultEngine(node, services.Registry).AbortAsync(SeedTxId(WireFields.Str(body, "transaction_id")), c.RequestAborted);
            return NodeMiddleware.Json(Value.Map(("success", true)));
        });

        app.MapPost("/transaction", async (HttpContext c, CancellationToken _) => await Forward.OrRun(node, c, async coordinator =>
        {
            var body = await NodeMiddleware.ReadJsonAsync(c);
            var payload = Payload(WireFields.Field(body, "payload"));
            // Each node's default shard: pg:default where the node has a PostgreSQL DSN, sql:default elsewhere.
            var shards = node.Cluster.Members.Where(m => m.Alive).Select(m => $"{ResourceRegistry.DefaultShardOf(m.Resources)}{ClusterAgent.NodeSeparator}{m.Address}").ToList();
            var result = await coordinator.ExecuteBatchAsync([.. shards.Select(s => new BatchOperation(s, Operation.FromValue(payload)))], null, "transaction", c.RequestAborted);
            var success = result.Outcome.IsCommitted;
            var message = success
                ? $"committed on {shards.Count} node(s)"
                : $"{result.Outcome.StatusName}: {result.Outcome.Reason}";
            return NodeMiddleware.Json(
                Value.Map(("transaction_id", result.TxId.ToString()), ("success", success), ("status", result.Outcome.StatusName), ("message", message)),
                success ? 200 : result.Outcome.IsInDoubt ? 202 : 409);
        }));
    }

    private static ITransactionalEngine DefaultEngine(CohortNode node, ResourceRegistry registry)
    {
        var shard = registry.LocalDefaultShard;
        return registry.Find(shard) ?? throw new CohortException(ErrorCodes.UnknownResource, $"Node {node.Address} has no {shard}.", isTransient: false);
    }

    // The seed's payload defaults to insert; Operation.FromValue recognises a payload by its table and operation.
    private static Value Payload(Value payload) =>
        payload.Kind == ValueKind.Map && !payload.AsMap().ContainsKey("operation") ? Value.Map(payload.AsMap().Add("operation", "insert")) : payload;

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
