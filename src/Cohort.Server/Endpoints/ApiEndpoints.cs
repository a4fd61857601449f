using System.Collections.Immutable;
using Cohort.Cluster;
using Cohort.Coordination;
using Cohort.Core;
using Cohort.Engines;
using Cohort.Protocol;
using Cohort.Transport;
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
            var handle = coordinator.Begin(Timeout(body, coordinator), Label(body));
            return NodeMiddleware.Json(Value.Map(("tx_id", handle.TxId.ToString()), ("deadline", WireFields.Time(handle.Deadline))), 201);
        }));

        app.MapPost("/v1/tx/{id}/ops", async (HttpContext c, string id) => await Forward.OrRunOwn(node, c, id, async coordinator =>
        {
            var body = await NodeMiddleware.ReadJsonAsync(c);
            var resource = WireFields.Str(body, "resource");
            AliveHomeOf(node, resource);
            var result = await coordinator.ApplyAsync(ParseTx(id), resource, Operation.FromValue(WireFields.Field(body, "op")), c.RequestAborted);
            return NodeMiddleware.Json(Value.Map(("result", result)));
        }));

        app.MapPost("/v1/tx/{id}/commit", async (HttpContext c, string id) => await Forward.OrRunOwn(node, c, id, async coordinator =>
            NodeMiddleware.Json(Outcome(ParseTx(id), await coordinator.CommitAsync(ParseTx(id), c.RequestAborted)))));

        app.MapPost("/v1/tx/{id}/abort", async (HttpContext c, string id) => await Forward.OrRunOwn(node, c, id, async coordinator =>
            NodeMiddleware.Json(Outcome(ParseTx(id), await coordinator.AbortAsync(ParseTx(id), c.RequestAborted)))));

        // A transaction is known to the node that coordinated it, which need not be today's master: this node, the
        // master, or (asked by the master) any alive member.
        app.MapGet("/v1/tx/{id}", async (HttpContext c, string id) =>
        {
            var txId = ParseTx(id);
            if (node.Coordinator.GetStatus(txId) is { } local)
            {
                return NodeMiddleware.Json(Status(local));
            }

            return await Forward.OrRun(node, c, async _ =>
            {
                foreach (var member in node.Cluster.AliveMembers.Where(m => m != node.Address))
                {
                    try
                    {
                        return NodeMiddleware.Json(await node.Client.GetAsync(member, $"internal/tx/{txId}", c.RequestAborted));
                    }
                    catch (Exception e) when (e is CohortException or TimeoutException)
                    {
                        // Not that node's, or it is gone or slow: ask the next.
                    }
                }

                throw new CohortException(ErrorCodes.UnknownTransaction, $"Transaction {id} is not known to any alive coordinator (never begun, finished long ago, or its coordinator is down).", isTransient: false);
            });
        });

        // Lists what every alive node's coordinator holds (the master gathers it), one page at a time in TxId order:
        // each node gives its first limit+1 after the cursor, so the master knows whether another page follows.
        app.MapGet("/v1/tx", async (HttpContext c, CancellationToken _) =>
        {
            var filter = StateFilter(c);
            var (limit, after) = Page(c, MaxListLimit);
            return await Forward.OrRun(node, c, async coordinator =>
            {
                var all = coordinator.List(filter, limit + 1, after).Select(s => (s.TxId, Value: Status(s))).ToList();
                var query = ListQuery(filter, limit + 1, after);
                foreach (var member in node.Cluster.AliveMembers.Where(m => m != node.Address))
                {
                    try
                    {
                        var answer = await node.Client.GetAsync(member, "internal/tx" + query, c.RequestAborted);
                        all.AddRange(WireFields.List(answer, "transactions").Select(t => (WireFields.Tx(t), t)));
                    }
                    catch (Exception e) when (e is CohortException or TimeoutException)
                    {
                        // A node that went down since the last heartbeat: its transactions show up once it is back.
                    }
                }

                var page = all.DistinctBy(t => t.TxId).OrderBy(t => t.TxId).Take(limit + 1).ToList();
                var more = page.Count > limit;
                if (more)
                {
                    page.RemoveAt(limit);
                }

                return NodeMiddleware.Json(Value.Map(
                    ("transactions", Value.List(ImmutableArray.CreateRange(page.Select(t => t.Value)))),
                    ("next", more ? page[^1].TxId.ToString() : Value.Null)));
            });
        });

        app.MapPost("/v1/batch", async (HttpContext c, CancellationToken _) => await Forward.OrRun(node, c, async coordinator =>
        {
            var body = await NodeMiddleware.ReadJsonAsync(c);
            var ops = WireFields.List(body, "ops").Select(op =>
            {
                var resource = WireFields.Str(op, "resource");
                AliveHomeOf(node, resource);
                return new BatchOperation(resource, Operation.FromValue(WireFields.Field(op, "op")));
            }).ToList();
            var result = await coordinator.ExecuteBatchAsync(ops, Timeout(body, coordinator), Label(body), c.RequestAborted);
            var answer = Outcome(result.TxId, result.Outcome).AsMap().Add("results", Value.List(ImmutableArray.CreateRange(result.Results)));
            if (result.Outcome.IsDefinitelyAborted && result.Outcome.Code is { } code && ErrorCatalog.Of(code).Status == 400)
            {
                // An operation the request got wrong (unknown, malformed arguments, bad SQL) is bad input, answered as
                // such like the same operation sent to /v1/tx/{id}/ops; the problem still names the aborted batch.
                var problem = Problem.For(code, result.Outcome.Reason ?? code, 400).ToValue().AsMap()
                    .Add("tx_id", result.TxId.ToString()).Add("outcome", result.Outcome.StatusName);
                return Results.Text(ValueJson.Serialize(Value.Map(problem)), Problem.MediaType, System.Text.Encoding.UTF8, 400);
            }

            return NodeMiddleware.Json(Value.Map(answer));
        }));

        app.MapPost("/v1/read", async (HttpContext c, CancellationToken _) => await Forward.OrRun(node, c, async _ =>
        {
            var body = await NodeMiddleware.ReadJsonAsync(c);
            var asOf = AsOf(body) ?? HlcTimestamp.FromDateTimeOffset(node.Time.GetUtcNow());
            var results = new List<Value>();
            foreach (var op in WireFields.List(body, "ops"))
            {
                var resource = WireFields.Str(op, "resource");
                var home = AliveHomeOf(node, resource);
                var operation = WireFields.Field(op, "op");
                if (home == node.Address)
                {
                    var engine = node.Host.GetEngine(ClusterAgent.LocalName(resource))
                        ?? throw new CohortException(ErrorCodes.UnknownResource, $"Resource '{resource}' is not hosted here.", isTransient: false);
                    results.Add(await engine.ReadAsync(asOf, Operation.FromValue(operation), c.RequestAborted));
                }
                else
                {
                    var answer = await node.Client.PostAsync(home, "internal/read", Value.Map(("resource", resource), ("op", operation), ("as_of", asOf.Value)), c.RequestAborted);
                    results.Add(WireFields.Field(answer, "result"));
                }
            }

            return NodeMiddleware.Json(Value.Map(("as_of", asOf.Value), ("results", Value.List(ImmutableArray.CreateRange(results)))));
        }));

        app.MapGet("/v1/resources", () => NodeMiddleware.Json(Value.Map(("resources", Value.List(ImmutableArray.CreateRange(node.Cluster.Members.Where(m => m.Alive)
                .SelectMany(m => m.Resources.Select(r => Value.Map(
                    ("name", ClusterAgent.IsDefaultShard(r) ? $"{r}{ClusterAgent.NodeSeparator}{m.Address}" : r),
                    ("node", m.Address))))))))));

        // Creates a resource on the named node, or on the least-loaded alive one. Placement travels with heartbeats,
        // so every node knows the new home within one interval (the node that created it knows at once).
        app.MapPost("/v1/resources", async (HttpContext c, CancellationToken _) =>
        {
            var body = await NodeMiddleware.ReadJsonAsync(c);
            var name = WireFields.Str(body, "name");
            EngineFactory.KindOf(name);
            if (ClusterAgent.IsDefaultShard(name) || name.Contains(ClusterAgent.NodeSeparator, StringComparison.Ordinal))
            {
                throw new CohortException(ErrorCodes.BadOperation, $"'{name}' is a node's default shard or node-qualified name; every node has its own.", isTransient: false);
            }

            if (node.Cluster.NodeOf(name) is { } home)
            {
                throw new CohortException(ErrorCodes.BadOperation, $"Resource '{name}' already exists on {home}.", isTransient: false);
            }

            var target = WireFields.OptStr(body, "node") ?? node.Cluster.LeastLoaded();
            if (target != node.Address)
            {
                if (!node.Cluster.IsAlive(target))
                {
                    throw new CohortException(ErrorCodes.Unavailable, $"Node {target} is not an alive member; resources can be created only on alive members.", isTransient: !node.Cluster.Members.Any(m => m.Address == target) ? false : true);
                }

                var forwarded = body.AsMap().SetItem("node", target);
                return NodeMiddleware.Json(await node.Client.PostAsync(target, "v1/resources", Value.Map(forwarded), c.RequestAborted), 201);
            }

            await node.OpenResourceAsync(name, WireFields.OptStr(body, "dsn"), c.RequestAborted);
            node.Cluster.AnnounceSoon();
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
            "# TYPE cohort_cluster_epoch gauge",
            $"cohort_cluster_epoch {node.Cluster.Epoch}",
            "# TYPE cohort_coordinator_begun_total counter",
            $"cohort_coordinator_begun_total {node.Coordinator.BegunCount}",
            "# TYPE cohort_engine_active_transactions gauge",
        };
        foreach (var (name, engine) in node.Engines)
        {
            lines.Add($"cohort_engine_active_transactions{{resource=\"{name}\"}} {engine.ActiveTransactionCount}");
        }

        foreach (var (name, engine) in node.PostgresEngines)
        {
            lines.Add($"cohort_engine_active_transactions{{resource=\"{name}\"}} {engine.ActiveTransactionCount}");
        }

        lines.Add("# TYPE cohort_coordinator_transactions gauge");
        foreach (var group in node.Coordinator.List(null, int.MaxValue).GroupBy(s => s.State.ToWireName()))
        {
            lines.Add($"cohort_coordinator_transactions{{state=\"{group.Key}\"}} {group.Count()}");
        }

        AddMetric(lines, "cohort_coordinator_phase_two_pending", "gauge", "Decided commits whose phase two is still running.", node.Coordinator.PhaseTwoPending);
        AddMetric(lines, "cohort_coordinator_phase_two_waits_total", "counter", "Commits answered only after their phase two, because the phase-two backlog was full.", node.Coordinator.PhaseTwoWaitCount);
        node.Coordinator.PrepareLatency.WritePrometheus(lines, "cohort_coordinator_prepare_seconds", "Time from sending prepare (or a batch with prepare) to the last vote, per transaction this node coordinated.");
        node.Coordinator.DecisionLatency.WritePrometheus(lines, "cohort_coordinator_decision_seconds", "Time to make a commit decision durable in the decision log (group-commit wait and fsync included).");
        WriteProcessMetrics(lines);
        return string.Join('\n', lines) + "\n";
    }

    // The process's own cost, for reading a benchmark per transaction (CPU and bytes allocated per commit) and for
    // spotting a node that collects garbage too often.
    private static void WriteProcessMetrics(List<string> lines)
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        AddMetric(lines, "process_cpu_seconds_total", "counter", "User and system CPU time of the node process.", process.TotalProcessorTime.TotalSeconds, "0.###");
        AddMetric(lines, "process_resident_memory_bytes", "gauge", null, process.WorkingSet64);
        AddMetric(lines, "dotnet_gc_allocated_bytes_total", "counter", "Bytes the node process has allocated on the managed heap.", GC.GetTotalAllocatedBytes());
        lines.Add("# TYPE dotnet_gc_collections_total counter");
        for (var generation = 0; generation <= GC.MaxGeneration; generation++)
        {
            lines.Add(FormattableString.Invariant($"dotnet_gc_collections_total{{generation=\"{generation}\"}} {GC.CollectionCount(generation)}"));
        }

        AddMetric(lines, "dotnet_gc_pause_seconds_total", "counter", null, GC.GetTotalPauseDuration().TotalSeconds, "0.######");
    }

    // One unlabelled sample with its HELP (when given) and TYPE lines, the number written culture-invariant.
    private static void AddMetric<T>(List<string> lines, string name, string type, string? help, T value, string? format = null)
        where T : IFormattable
    {
        if (help is not null)
        {
            lines.Add($"# HELP {name} {help}");
        }

        lines.Add($"# TYPE {name} {type}");
        lines.Add(name + " " + value.ToString(format, System.Globalization.CultureInfo.InvariantCulture));
    }

    // A resource whose home is down is refused before anything is sent, rather than reported in doubt after a
    // message that could not be delivered.
    private static string AliveHomeOf(CohortNode node, string resource)
    {
        var home = node.Cluster.HomeOf(resource);
        return node.IsAlive(home)
            ? home
            : throw new CohortException(ErrorCodes.Unavailable, $"Resource '{resource}' lives on {home}, which is down; retry when it is back.", isTransient: true);
    }

    internal static TransactionState? StateFilter(HttpContext context)
    {
        var state = context.Request.Query["state"].ToString();
        return string.IsNullOrEmpty(state) ? null
            : TransactionStateNames.TryParse(state, out var parsed) ? parsed
            : throw new CohortException(ErrorCodes.BadOperation, $"Unknown state '{state}'; expected active, preparing, committing, committed, aborted or in-doubt.", isTransient: false);
    }

    /// <summary>The page size of <c>GET /v1/tx</c> when the request names none.</summary>
    public const int DefaultListLimit = 100;

    /// <summary>The largest page of <c>GET /v1/tx</c>.</summary>
    public const int MaxListLimit = 1000;

    // ?limit=1..max (default DefaultListLimit) and ?after=<txid>, the cursor a previous page answered as "next".
    internal static (int Limit, TxId? After) Page(HttpContext context, int max)
    {
        var limitText = context.Request.Query["limit"].ToString();
        var limit = DefaultListLimit;
        if (limitText.Length > 0
            && (!int.TryParse(limitText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > max))
        {
            throw new CohortException(ErrorCodes.BadOperation, $"'limit' must be an integer from 1 to {max} (got '{Shorten(limitText)}').", isTransient: false);
        }

        var afterText = context.Request.Query["after"].ToString();
        if (afterText.Length == 0)
        {
            return (limit, null);
        }

        return TxId.TryParse(afterText, null, out var after)
            ? (limit, after)
            : throw new CohortException(ErrorCodes.BadOperation, $"'after' must be a transaction id, the 'next' of the previous page (got '{Shorten(afterText)}').", isTransient: false);
    }

    internal static string ListQuery(TransactionState? state, int limit, TxId? after) =>
        $"?limit={limit}{(state is { } s ? "&state=" + s.ToWireName() : string.Empty)}{(after is { } a ? "&after=" + a : string.Empty)}";

    // A transaction's timeout: 1 ms up to the coordinator's maximum (a TimeSpan cannot hold every Int64 of milliseconds).
    private static TimeSpan? Timeout(Value body, Coordinator coordinator)
    {
        if (!body.TryGetField("timeout_ms", out var ms) || ms.IsNull)
        {
            return null;
        }

        var max = (long)coordinator.MaxTimeout.TotalMilliseconds;
        return ms.TryGetInt64(out var n) && n >= 1 && n <= max
            ? TimeSpan.FromMilliseconds(n)
            : throw new CohortException(ErrorCodes.BadJson, $"'timeout_ms' must be an integer from 1 to {max} (the node's longest transaction), not {Shorten(ValueJson.Serialize(ms))}.", isTransient: false);
    }

    // A label is kept with the transaction's record while the coordinator remembers it, so it is short, like account names.
    private static string? Label(Value body)
    {
        if (!body.TryGetField("label", out var label) || label.IsNull)
        {
            return null;
        }

        if (label.Kind != ValueKind.String)
        {
            throw new CohortException(ErrorCodes.BadJson, $"'label' must be a string, not {NodeMiddleware.KindName(label)}.", isTransient: false);
        }

        var text = label.AsString();
        return text.Length <= Coordinator.MaxLabelLength
            ? text
            : throw new CohortException(ErrorCodes.BadJson, $"'label' must be at most {Coordinator.MaxLabelLength} characters long (got {text.Length}).", isTransient: false);
    }

    // An HLC timestamp (as /v1/read answers it: a non-negative Int64), or its string form (the number, or an ISO-8601 time).
    private static HlcTimestamp? AsOf(Value body)
    {
        if (!body.TryGetField("as_of", out var asOf) || asOf.IsNull)
        {
            return null;
        }

        if (asOf.TryGetInt64(out var hlc) && hlc >= 0)
        {
            return new HlcTimestamp(hlc);
        }

        if (asOf.Kind == ValueKind.String && HlcTimestamp.TryParse(asOf.AsString(), out var parsed))
        {
            return parsed;
        }

        throw new CohortException(ErrorCodes.BadJson, $"'as_of' must be an HLC timestamp, an integer from 0 to {long.MaxValue}, or an ISO-8601 time as a string; not {Shorten(ValueJson.Serialize(asOf))}.", isTransient: false);
    }

    // Bad input is named in refusals, but not echoed at length.
    internal static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";

    internal static TxId ParseTx(string id) =>
        TxId.TryParse(id, null, out var txId) ? txId : throw new CohortException(ErrorCodes.UnknownTransaction, $"'{id}' is not a transaction id.", isTransient: false);

    internal static Value Outcome(TxId txId, TxOutcome outcome) =>
        new OutcomeAnswer(txId, outcome.State, outcome.Reason, outcome.Code, outcome.IsCommitted ? outcome.CommitTimestamp : null).ToValue();

    internal static Value Status(TxStatus status) => new TransactionInfo(
        status.TxId,
        status.State,
        status.Label,
        status.Deadline,
        status.Reason,
        [.. status.Participants.Select(p => new ParticipantInfo(p.Resource, p.Node, p.MayWrite, p.Vote?.ToString(), p.Acknowledged))],
        status.CommitTimestamp ?? status.Decision?.CommitTimestamp,
        status.Decision?.Epoch).ToValue();
}
