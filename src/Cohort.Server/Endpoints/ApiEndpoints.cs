using System.Collections.Immutable;
using Cohort.Coordination;
using Cohort.Core;
using Cohort.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Cohort.Server.Endpoints;

/// <summary>The versioned API (<c>/v1/…</c>, DESIGN.md §9). Transaction calls run on the master; other nodes forward them.</summary>
internal static class ApiEndpoints
{
    public static void Map(WebApplication app, CohortNode node)
    {
        app.MapPost("/v1/tx", async (HttpContext c, CancellationToken _) => await Forward.OrRun(node, c, async coordinator =>
        {
            var body = c.Request.ContentLength is 0 or null && !c.Request.Headers.TransferEncoding.Any() ? Value.Map() : await NodeMiddleware.ReadJsonAsync(c);
            var handle = coordinator.Begin(Timeout(body), Label(body));
            return NodeMiddleware.Json(Value.Map(("tx_id", handle.TxId.ToString()), ("deadline", WireFormat.Time(handle.Deadline))), 201);
        }));

        app.MapPost("/v1/tx/{id}/ops", async (HttpContext c, string id) => await Forward.OrRun(node, c, async coordinator =>
        {
            var body = await NodeMiddleware.ReadJsonAsync(c);
            var resource = WireFormat.Str(body, "resource");
            node.Cluster.HomeOf(resource);
            var result = await coordinator.ApplyAsync(ParseTx(id), resource, Operation.FromValue(WireFormat.Field(body, "op")), c.RequestAborted);
            return NodeMiddleware.Json(Value.Map(("result", result)));
        }));

        app.MapPost("/v1/tx/{id}/commit", async (HttpContext c, string id) => await Forward.OrRun(node, c, async coordinator =>
            NodeMiddleware.Json(Outcome(ParseTx(id), await coordinator.CommitAsync(ParseTx(id), c.RequestAborted)))));

        app.MapPost("/v1/tx/{id}/abort", async (HttpContext c, string id) => await Forward.OrRun(node, c, async coordinator =>
            NodeMiddleware.Json(Outcome(ParseTx(id), await coordinator.AbortAsync(ParseTx(id), c.RequestAborted)))));

        app.MapGet("/v1/tx/{id}", async (HttpContext c, string id) => await Forward.OrRun(node, c, coordinator =>
        {
            var status = coordinator.GetStatus(ParseTx(id))
                ?? throw new CohortException(ErrorCodes.UnknownTransaction, $"Transaction {id} is not known to the coordinator (never begun, or finished long ago).", isTransient: false);
            return Task.FromResult(NodeMiddleware.Json(Status(status)));
        }));

        app.MapGet("/v1/tx", async (HttpContext c, CancellationToken _) => await Forward.OrRun(node, c, coordinator =>
        {
            var state = c.Request.Query["state"].ToString();
            TransactionState? filter = null;
            if (!string.IsNullOrEmpty(state))
            {
                filter = TransactionStateNames.TryParse(state, out var parsed) ? parsed
                    : throw new CohortException(ErrorCodes.BadOperation, $"Unknown state '{state}'; expected active, preparing, committing, committed, aborted or in-doubt.", isTransient: false);
            }

            var list = coordinator.List(filter);
            return Task.FromResult(NodeMiddleware.Json(Value.Map(("transactions", Value.List(ImmutableArray.CreateRange(list.Select(Status)))))));
        }));

        app.MapPost("/v1/batch", async (HttpContext c, CancellationToken _) => await Forward.OrRun(node, c, async coordinator =>
        {
            var body = await NodeMiddleware.ReadJsonAsync(c);
            var ops = WireFormat.List(body, "ops").Select(op =>
            {
                var resource = WireFormat.Str(op, "resource");
                node.Cluster.HomeOf(resource);
                return new BatchOperation(resource, Operation.FromValue(WireFormat.Field(op, "op")));
            }).ToList();
            var result = await coordinator.ExecuteBatchAsync(ops, Timeout(body), Label(body), c.RequestAborted);
            var answer = Outcome(result.TxId, result.Outcome).AsMap().Add("results", Value.List(ImmutableArray.CreateRange(result.Results)));
            if (result.Outcome.IsDefinitelyAborted && result.Outcome.Code is { } code && ProblemDetails.StatusOf(code) == 400)
            {
                // An operation the request got wrong (unknown, malformed arguments, bad SQL) is bad input, answered as
                // such like the same operation sent to /v1/tx/{id}/ops; the problem still names the aborted batch.
                var problem = ProblemDetails.Body(code, result.Outcome.Reason ?? code, 400).AsMap()
                    .Add("tx_id", result.TxId.ToString()).Add("outcome", result.Outcome.StatusName);
                return Results.Text(ValueJson.Serialize(Value.Map(problem)), ProblemDetails.MediaType, System.Text.Encoding.UTF8, 400);
            }

            return NodeMiddleware.Json(Value.Map(answer));
        }));

        app.MapPost("/v1/read", async (HttpContext c, CancellationToken _) => await Forward.OrRun(node, c, async _ =>
        {
            var body = await NodeMiddleware.ReadJsonAsync(c);
            var asOf = body.TryGetField("as_of", out var t) && !t.IsNull
                ? t.TryGetInt64(out var hlc) ? new HlcTimestamp(hlc) : HlcTimestamp.TryParse(t.AsString(), out var parsed) ? parsed : throw new CohortException(ErrorCodes.BadJson, "'as_of' must be an HLC value.", isTransient: false)
                : HlcTimestamp.FromDateTimeOffset(node.Time.GetUtcNow());
            var results = new List<Value>();
            foreach (var op in WireFormat.List(body, "ops"))
            {
                var resource = WireFormat.Str(op, "resource");
                var home = node.Cluster.HomeOf(resource);
                var operation = WireFormat.Field(op, "op");
                if (home == node.Address)
                {
                    var engine = node.Host.GetEngine(Cluster.LocalName(resource))
                        ?? throw new CohortException(CoordinationErrorCodes.UnknownResource, $"Resource '{resource}' is not hosted here.", isTransient: false);
                    results.Add(await engine.ReadAsync(asOf, Operation.FromValue(operation), c.RequestAborted));
                }
                else
                {
                    var answer = await node.Client.PostAsync(home, "internal/read", Value.Map(("resource", resource), ("op", operation), ("as_of", asOf.Value)), c.RequestAborted);
                    results.Add(WireFormat.Field(answer, "result"));
                }
            }

            return NodeMiddleware.Json(Value.Map(("as_of", asOf.Value), ("results", Value.List(ImmutableArray.CreateRange(results)))));
        }));

        app.MapGet("/v1/resources", () => NodeMiddleware.Json(Value.Map(("resources", Value.List(ImmutableArray.CreateRange(node.Cluster.Members.Where(m => node.IsAlive(m) || m.Address == node.Address)
                .SelectMany(m => m.Resources.Select(r => Value.Map(
                    ("name", Cluster.IsDefaultShard(r) ? $"{r}{Cluster.NodeSeparator}{m.Address}" : r),
                    ("node", m.Address))))))))));

        app.MapPost("/v1/resources", async (HttpContext c, CancellationToken _) =>
        {
            var body = await NodeMiddleware.ReadJsonAsync(c);
            var name = WireFormat.Str(body, "name");
            var target = WireFormat.OptStr(body, "node") ?? node.Address;
            if (target != node.Address)
            {
                return NodeMiddleware.Json(await node.Client.PostAsync(target, "v1/resources", Value.Map(("name", name)), c.RequestAborted), 201);
            }

            if (Cluster.IsDefaultShard(name) || (node.Cluster.NodeOf(name) is { } home && home != node.Address))
            {
                throw new CohortException(ErrorCodes.BadOperation, $"Resource '{name}' already exists on {node.Cluster.NodeOf(name)}.", isTransient: false);
            }

            node.OpenResource(name);
            node.Cluster.Add(node.Address, node.LocalResources(), node.Time.GetUtcNow());
            if (!node.IsMaster && node.Cluster.Master is { } master)
            {
                await node.Client.PostAsync(master, "cluster/join", Value.Map(("address", node.Address), ("resources", Value.List(ImmutableArray.CreateRange(node.LocalResources().Select(Value.From))))), c.RequestAborted);
            }

            return NodeMiddleware.Json(Value.Map(("name", name), ("node", node.Address)), 201);
        });

        app.MapGet("/metrics", () => Results.Text(Metrics(node), "text/plain; version=0.0.4"));
    }

    private static string Metrics(CohortNode node)
    {
        var lines = new List<string>
        {
            "# TYPE cohort_node_up gauge",
            $"cohort_node_up{{address=\"{node.Address}\",role=\"{(node.IsMaster ? "master" : "node")}\"}} 1",
            "# TYPE cohort_engine_active_transactions gauge",
        };
        foreach (var (name, engine) in node.Engines)
        {
            lines.Add($"cohort_engine_active_transactions{{resource=\"{name}\"}} {engine.ActiveTransactionCount}");
        }

        if (node.Coordinator is { } coordinator)
        {
            lines.Add("# TYPE cohort_coordinator_transactions gauge");
            foreach (var group in coordinator.List(null, int.MaxValue).GroupBy(s => s.State.ToWireName()))
            {
                lines.Add($"cohort_coordinator_transactions{{state=\"{group.Key}\"}} {group.Count()}");
            }
        }

        return string.Join('\n', lines) + "\n";
    }

    private static TimeSpan? Timeout(Value body) =>
        body.TryGetField("timeout_ms", out var ms) && !ms.IsNull
            ? ms.TryGetInt64(out var n) && n > 0 ? TimeSpan.FromMilliseconds(n) : throw new CohortException(ErrorCodes.BadJson, "'timeout_ms' must be a positive integer.", isTransient: false)
            : null;

    private static string? Label(Value body) => WireFormat.OptStr(body, "label");

    private static TxId ParseTx(string id) =>
        TxId.TryParse(id, null, out var txId) ? txId : throw new CohortException(ErrorCodes.UnknownTransaction, $"'{id}' is not a transaction id.", isTransient: false);

    internal static Value Outcome(TxId txId, TxOutcome outcome)
    {
        var fields = ImmutableSortedDictionary.CreateBuilder<string, Value>(StringComparer.Ordinal);
        fields["tx_id"] = txId.ToString();
        fields["status"] = outcome.StatusName;
        if (outcome.Reason is { } reason)
        {
            fields["reason"] = reason;
        }

        if (outcome.Code is { } code)
        {
            fields["code"] = code;
        }

        if (outcome.IsCommitted)
        {
            fields["commit_ts"] = outcome.CommitTimestamp.Value;
        }

        return Value.Map(fields.ToImmutable());
    }

    private static Value Status(TxStatus status) => Value.Map(
        ("tx_id", status.TxId.ToString()),
        ("state", status.State.ToWireName()),
        ("label", Value.From(status.Label)),
        ("deadline", WireFormat.Time(status.Deadline)),
        ("reason", Value.From(status.Reason)),
        ("participants", Value.List(ImmutableArray.CreateRange(status.Participants.Select(p => Value.Map(
            ("resource", p.Resource), ("node", p.Node), ("writes", p.MayWrite),
            ("vote", Value.From(p.Vote?.ToString())), ("acknowledged", p.Acknowledged)))))),
        ("decision", status.Decision is { } d ? Value.Map(("commit_ts", d.CommitTimestamp.Value), ("epoch", d.Epoch)) : Value.Null));
}
