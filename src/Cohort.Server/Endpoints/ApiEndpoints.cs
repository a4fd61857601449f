using System.Collections.Immutable;
using Cohort.Coordination;
using Cohort.Core;
using Cohort.Protocol;
using Cohort.Server.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Cohort.Server.Endpoints;

/// <summary>The versioned API (<c>/v1/…</c>, DESIGN.md §9). Transaction calls run on the master; other nodes forward them.</summary>
internal static class ApiEndpoints
{
    public static void Map(WebApplication app, CohortNode node, NodeServices services)
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
            services.Resources.AliveHomeOf(resource);
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
            return services.Transactions.FindLocal(txId) is { } local
                ? NodeMiddleware.Json(local)
                : await Forward.OrRun(node, c, async _ => NodeMiddleware.Json(await services.Transactions.FindAsync(txId, id, c.RequestAborted)));
        });

        // Lists what every alive node's coordinator holds (the master gathers it), one page at a time in TxId order.
        app.MapGet("/v1/tx", async (HttpContext c, CancellationToken _) =>
        {
            var filter = StateFilter(c);
            var label = LabelFilter(c);
            var (limit, after) = Page(c, TransactionDirectory.MaxListLimit);
            var newest = NewestFirst(c, after);
            return await Forward.OrRun(node, c, async _ =>
            {
                var page = await services.Transactions.ListAsync(filter, limit, after, label, newest, c.RequestAborted);
                return NodeMiddleware.Json(Value.Map(
                    ("transactions", Value.List(ImmutableArray.CreateRange(page.Transactions))),
                    ("next", page.Next is { } next ? next.ToString() : Value.Null)));
            });
        });

        app.MapPost("/v1/batch", async (HttpContext c, CancellationToken _) => await Forward.OrRun(node, c, async coordinator =>
        {
            var body = await NodeMiddleware.ReadJsonAsync(c);
            var ops = WireFields.List(body, "ops").Select(op =>
            {
                var resource = WireFields.Str(op, "resource");
                services.Resources.AliveHomeOf(resource);
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
            var asOf = AsOf(body);

            // Parsed as read, so a bad operation is refused where it stands in the list.
            var reads = WireFields.List(body, "ops").Select(op => (WireFields.Str(op, "resource"), WireFields.Field(op, "op")));
            var (at, results) = await services.Reader.ReadAsync(reads, asOf, c.RequestAborted);
            return NodeMiddleware.Json(Value.Map(("as_of", at.Value), ("results", Value.List(ImmutableArray.CreateRange(results)))));
        }));

        app.MapGet("/v1/resources", () => NodeMiddleware.Json(Value.Map(("resources", Value.List(ImmutableArray.CreateRange(
            services.Resources.List().Select(ResourceService.ToValue)))))));

        app.MapPost("/v1/resources", async (HttpContext c, CancellationToken _) =>
        {
            var body = await NodeMiddleware.ReadJsonAsync(c);
            var created = await services.Resources.CreateAsync(
                WireFields.Str(body, "name"), WireFields.OptStr(body, "node"), WireFields.OptStr(body, "dsn"), body, c.RequestAborted);
            return NodeMiddleware.Json(ResourceService.ToValue(created), 201);
        });

        app.MapGet("/metrics", () => Results.Text(services.Metrics.Write(), MetricsWriter.MediaType));
    }

    internal static TransactionState? StateFilter(HttpContext context)
    {
        var state = context.Request.Query["state"].ToString();
        return string.IsNullOrEmpty(state) ? null
            : TransactionStateNames.TryParse(state, out var parsed) ? parsed
            : throw new CohortException(ErrorCodes.BadOperation, $"Unknown state '{state}'; expected active, preparing, committing, committed, aborted or in-doubt.", isTransient: false);
    }

    // ?label=<exact label>: 1 to Coordinator.MaxLabelLength characters, given once (a label is compared exactly, so an
    // empty one, a repeated parameter or one longer than any label can be are mistakes, refused rather than matching nothing).
    internal static string? LabelFilter(HttpContext context)
    {
        if (!context.Request.Query.TryGetValue("label", out var values))
        {
            return null;
        }

        if (values.Count != 1)
        {
            throw new CohortException(ErrorCodes.BadOperation, "'label' may be given once.", isTransient: false);
        }

        var label = values[0] ?? string.Empty;
        return label.Length is >= 1 and <= Coordinator.MaxLabelLength
            ? label
            : throw new CohortException(ErrorCodes.BadOperation, $"'label' must be 1 to {Coordinator.MaxLabelLength} characters long (got {label.Length}).", isTransient: false);
    }

    // ?order=oldest (the default: TxId order, paged with ?after) or ?order=newest (the newest page only, no cursor).
    internal static bool NewestFirst(HttpContext context, TxId? after)
    {
        var order = context.Request.Query["order"].ToString();
        var newest = order switch
        {
            "" or "oldest" => false,
            "newest" => true,
            _ => throw new CohortException(ErrorCodes.BadOperation, $"'order' must be oldest or newest (got '{Shorten(order)}').", isTransient: false),
        };
        return newest && after is not null
            ? throw new CohortException(ErrorCodes.BadOperation, "'after' pages in oldest-first order only; order=newest answers the newest page alone.", isTransient: false)
            : newest;
    }

    // ?limit=1..max (default TransactionDirectory.DefaultListLimit) and ?after=<txid>, the cursor a previous page answered as "next".
    internal static (int Limit, TxId? After) Page(HttpContext context, int max)
    {
        var limitText = context.Request.Query["limit"].ToString();
        var limit = TransactionDirectory.DefaultListLimit;
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
}
