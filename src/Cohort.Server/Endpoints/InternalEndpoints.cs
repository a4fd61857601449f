using System.Collections.Immutable;
using Cohort.Cluster;
using Cohort.Coordination;
using Cohort.Core;
using Cohort.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Cohort.Server.Endpoints;

/// <summary>The node-to-node protocol: the coordinator's messages to participant hosts, and decision queries.</summary>
internal static class InternalEndpoints
{
    public static void Map(WebApplication app, CohortNode node)
    {
        app.MapPost("/internal/apply", async (HttpContext c, CancellationToken _) =>
            NodeMiddleware.Json(Value.Map(("result", await node.Host.ApplyAsync(WireFormat.ReadApply(await NodeMiddleware.ReadJsonAsync(c)), c.RequestAborted)))));
        app.MapPost("/internal/prepare", async (HttpContext c, CancellationToken _) =>
            NodeMiddleware.Json(WireFormat.VoteValue(await node.Host.PrepareAsync(WireFormat.ReadPrepare(await NodeMiddleware.ReadJsonAsync(c)), c.RequestAborted))));
        app.MapPost("/internal/batch", async (HttpContext c, CancellationToken _) =>
            NodeMiddleware.Json(WireFormat.BatchResult(await node.Host.ApplyAndPrepareAsync(WireFormat.ReadBatch(await NodeMiddleware.ReadJsonAsync(c)), c.RequestAborted))));
        app.MapPost("/internal/commit", async (HttpContext c, CancellationToken _) =>
        {
            await node.Host.CommitAsync(WireFormat.ReadCommit(await NodeMiddleware.ReadJsonAsync(c)), c.RequestAborted);
            return NodeMiddleware.Json(Value.Map(("ok", true)));
        });
        app.MapPost("/internal/commit-many", async (HttpContext c, CancellationToken _) =>
        {
            // Each commit gets its own answer; they run concurrently (the engines group their log writes).
            var requests = WireFormat.List(await NodeMiddleware.ReadJsonAsync(c), "commits").Select(WireFormat.ReadCommit).ToList();
            var results = await Task.WhenAll(requests.Select(async request =>
            {
                try
                {
                    await node.Host.CommitAsync(request, c.RequestAborted);
                    return Value.Map(("ok", true));
                }
                catch (CohortException e)
                {
                    return Value.Map(("code", e.Code), ("detail", e.Message));
                }
            }));
            return NodeMiddleware.Json(Value.Map(("results", Value.List(ImmutableArray.Create(results)))));
        });
        app.MapPost("/internal/commit-one-phase", async (HttpContext c, CancellationToken _) =>
        {
            await node.Host.CommitOnePhaseAsync(WireFormat.ReadOnePhase(await NodeMiddleware.ReadJsonAsync(c)), c.RequestAborted);
            return NodeMiddleware.Json(Value.Map(("ok", true)));
        });
        app.MapPost("/internal/abort", async (HttpContext c, CancellationToken _) =>
        {
            await node.Host.AbortAsync(WireFormat.ReadAbort(await NodeMiddleware.ReadJsonAsync(c)), c.RequestAborted);
            return NodeMiddleware.Json(Value.Map(("ok", true)));
        });
        app.MapGet("/internal/decision/{id}", (string id) =>
        {
            var txId = TxId.TryParse(id, null, out var parsed) ? parsed : throw new CohortException(ErrorCodes.BadJson, $"'{id}' is not a transaction id.", isTransient: false);
            return NodeMiddleware.Json(WireFormat.Decision(node.Coordinator.QueryDecision(txId)));
        });

        // This node's own coordinator only (the /v1/tx endpoints gather across nodes).
        app.MapGet("/internal/tx/{id}", (string id) => NodeMiddleware.Json(ApiEndpoints.Status(
            node.Coordinator.GetStatus(ApiEndpoints.ParseTx(id))
            ?? throw new CohortException(ErrorCodes.UnknownTransaction, $"Transaction {id} is not known to {node.Address}.", isTransient: false))));
        app.MapGet("/internal/tx", (HttpContext c) => NodeMiddleware.Json(Value.Map(("transactions", Value.List(
            ImmutableArray.CreateRange(node.Coordinator.List(ApiEndpoints.StateFilter(c)).Select(ApiEndpoints.Status)))))));
        app.MapPost("/internal/read", async (HttpContext c, CancellationToken _) =>
        {
            var body = await NodeMiddleware.ReadJsonAsync(c);
            var resource = ClusterAgent.LocalName(WireFormat.Str(body, "resource"));
            var engine = node.Host.GetEngine(resource)
                ?? throw new CohortException(CoordinationErrorCodes.UnknownResource, $"Resource '{resource}' is not hosted on {node.Address}.", isTransient: false);
            var result = await engine.ReadAsync(new HlcTimestamp(WireFormat.Long(body, "as_of")), Operation.FromValue(WireFormat.Field(body, "op")), c.RequestAborted);
            return NodeMiddleware.Json(Value.Map(("result", result)));
        });
    }
}
