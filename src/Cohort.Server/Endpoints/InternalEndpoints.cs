using System.Collections.Immutable;
using Cohort.Coordination;
using Cohort.Core;
using Cohort.Protocol;
using Cohort.Server.Replication;
using Cohort.Server.Services;
using Cohort.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Cohort.Server.Endpoints;

/// <summary>The node-to-node protocol: the coordinator's messages to participant hosts, and decision queries.</summary>
internal static class InternalEndpoints
{
    // The answer of a request that only succeeded (immutable, so one for all).
    private static readonly Value Ok = Value.Map(("ok", true));

    /// <summary>
    /// The protocol's requests, by path: served as <c>POST /{path}</c> and as messages on the node-to-node socket
    /// (<c>GET /internal/ws</c>, <see cref="InternalSocket"/>). Each takes the JSON body and answers a JSON document.
    /// </summary>
    public static IReadOnlyDictionary<string, Func<Value, CancellationToken, Task<Value>>> Handlers(CohortNode node, NodeServices services) =>
        new Dictionary<string, Func<Value, CancellationToken, Task<Value>>>(StringComparer.Ordinal)
        {
            ["internal/apply"] = async (body, ct) => WireFormat.ApplyAnswer(await node.Host.ApplyAsync(WireFormat.ReadApply(body), ct)),
            ["internal/prepare"] = async (body, ct) => WireFormat.VoteValue(await node.Host.PrepareAsync(WireFormat.ReadPrepare(body), ct)),
            ["internal/batch"] = async (body, ct) => WireFormat.BatchResult(await node.Host.ApplyAndPrepareAsync(WireFormat.ReadBatch(body), ct)),
            ["internal/commit"] = async (body, ct) =>
            {
                await node.Host.CommitAsync(WireFormat.ReadCommit(body), ct);
                return Ok;
            },
            ["internal/commit-many"] = async (body, ct) =>
            {
                // Each commit gets its own answer; they run concurrently (the engines group their log writes).
                var commits = WireFields.List(body, "commits");
                var requests = commits.Select(WireFormat.ReadCommit).ToList();
                var results = await Task.WhenAll(requests.Select(async (request, i) =>
                {
                    // Each commit joins its own transaction's trace (a batch mixes transactions).
                    using var activity = Core.Diagnostics.CohortTelemetry.Start(
                        "internal/commit",
                        System.Diagnostics.ActivityKind.Server,
                        WireFields.OptStr(commits[i], Core.Diagnostics.CohortTelemetry.TraceParentField));
                    activity?.SetTag(Core.Diagnostics.CohortTelemetry.NodeAttribute, node.Address);
                    try
                    {
                        await node.Host.CommitAsync(request, ct);
                        return Ok;
                    }
                    catch (CohortException e)
                    {
                        return Value.Map(("code", e.Code), ("detail", e.Message));
                    }
                }));
                return Value.Map(("results", Value.List(ImmutableArray.Create(results))));
            },
            ["internal/commit-one-phase"] = async (body, ct) =>
                WireFormat.Committed(await node.Host.CommitOnePhaseAsync(WireFormat.ReadOnePhase(body), ct)),
            ["internal/abort"] = async (body, ct) =>
            {
                await node.Host.AbortAsync(WireFormat.ReadAbort(body), ct);
                return Ok;
            },
            ["internal/replicate"] = async (body, ct) =>
            {
                var (resource, version, stream, entries) = ReplicationWire.ReadShipment(body);
                return ReplicationWire.Acknowledged(await Replication(node).ApplyAsync(resource, stream, version, entries, ct));
            },
            ["internal/replication/create"] = async (body, ct) =>
            {
                var config = await Replication(node).CreateAsync(WireFields.Str(body, "name"), WireFields.Int(body, "replicas"), WireFields.OptStr(body, "node"), ct);
                return ResourceService.ToValue(new ResourcePlacement(config.Resource, config.Primary, config.Replicas, config.Version));
            },
            ["internal/replication/prepare"] = async (body, ct) =>
            {
                await Replication(node).PrepareCreateAsync(WireFields.Str(body, "resource"), ct);
                return Ok;
            },
            ["internal/replication/open"] = async (body, ct) =>
            {
                await Replication(node).OpenCreatedAsync(WireFields.Str(body, "resource"), WireFields.Long(body, "version"), ct);
                return Ok;
            },
            ["internal/replication/change"] = async (body, ct) =>
            {
                var kind = Enum.TryParse<ChangeKind>(WireFields.Str(body, "kind"), out var parsed) ? parsed : throw new CohortException(ErrorCodes.BadJson, $"Unknown configuration change '{WireFields.Str(body, "kind")}'.", isTransient: false);
                var config = await Replication(node).ChangeAsync(WireFields.Str(body, "resource"), WireFields.Long(body, "version"), WireFields.Str(body, "from"), kind, WireFields.Str(body, "subject"), ct);
                return Value.Map(("version", config.Version), ("primary", config.Primary));
            },
            ["internal/read"] = async (body, ct) =>
            {
                var resource = WireFields.Str(body, "resource");
                var result = await services.Reader.ReadLocalAsync(resource, new HlcTimestamp(WireFields.Long(body, "as_of")), WireFields.Field(body, "op"), WireFields.OptLong(body, "term") ?? 0, ct);
                return Value.Map(("result", result));
            },
        };

    private static ReplicatedResources Replication(CohortNode node) =>
        node.Replication ?? throw new CohortException(ErrorCodes.BadRequest, $"{node.Address} has no replicated resources: they need the etcd backend (--etcd).", isTransient: false);

    public static void Map(WebApplication app, CohortNode node, NodeServices services)
    {
        var handlers = Handlers(node, services);
        foreach (var (path, handler) in handlers)
        {
            app.MapPost("/" + path, async (HttpContext c, CancellationToken _) => NodeMiddleware.Json(await handler(await NodeMiddleware.ReadJsonAsync(c), c.RequestAborted)));
        }

        app.Map("/internal/ws", (HttpContext c) => InternalSocket.AcceptAsync(c, handlers, node));
        app.MapGet("/internal/decision/{id}", async (string id, CancellationToken cancellationToken) =>
        {
            var txId = TxId.TryParse(id, null, out var parsed) ? parsed : throw new CohortException(ErrorCodes.BadJson, $"'{id}' is not a transaction id.", isTransient: false);
            return NodeMiddleware.Json(WireFormat.Decision(await node.Coordinator.QueryDecisionAsync(txId, cancellationToken).ConfigureAwait(false)));
        });

        // This node's own coordinator only (the /v1/tx endpoints gather across nodes).
        app.MapGet("/internal/tx/{id}", (string id) => NodeMiddleware.Json(services.Transactions.GetLocal(ApiEndpoints.ParseTx(id), id)));
        app.MapGet("/internal/tx", (HttpContext c) =>
        {
            var (limit, after) = ApiEndpoints.Page(c, TransactionDirectory.MaxListLimit + 1);
            return NodeMiddleware.Json(Value.Map(("transactions", Value.List(
                ImmutableArray.CreateRange(services.Transactions.ListLocal(ApiEndpoints.StateFilter(c), limit, after, ApiEndpoints.LabelFilter(c), ApiEndpoints.NewestFirst(c, after)))))));
        });
    }
}
