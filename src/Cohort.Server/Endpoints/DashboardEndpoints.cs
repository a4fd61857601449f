using System.Collections.Immutable;
using System.Globalization;
using System.Reflection;
using Cohort.Core;
using Cohort.Protocol;
using Cohort.Server.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Cohort.Server.Endpoints;

/// <summary>
/// The operator's dashboard: <c>GET /dashboard</c> and its script and style (<c>/dashboard/app.js</c>,
/// <c>/dashboard/app.css</c>), embedded in the assembly and served without the bearer token (they hold no data), and
/// <c>GET /v1/stats/samples</c>, the periodic samples its charts draw (token required, like every data call). The page
/// polls the node's JSON endpoints every two seconds; on a node with a token it asks for one when a call answers 401
/// and keeps it in the tab's sessionStorage (docs/operations.md, "The dashboard").
/// </summary>
internal static class DashboardEndpoints
{
    /// <summary>The path prefix served without the token: the page and its static assets, nothing else.</summary>
    public const string PathPrefix = "/dashboard";

    // Everything the page needs comes from this node: no inline script or style, nothing from elsewhere.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private static readonly (string Path, string Resource, string MediaType)[] Assets =
    [
        (PathPrefix, "dashboard.html", "text/html; charset=utf-8"),
        (PathPrefix + "/app.js", "app.js", "text/javascript; charset=utf-8"),
        (PathPrefix + "/app.css", "app.css", "text/css; charset=utf-8"),
    ];

    private static readonly Lazy<ImmutableDictionary<string, byte[]>> Embedded = new(() =>
        Assets.ToImmutableDictionary(a => a.Resource, a => Read("Cohort.Server.Dashboard." + a.Resource), StringComparer.Ordinal));

    /// <summary>Whether <paramref name="path"/> is one of the dashboard's static files (served without the token).</summary>
    public static bool IsStaticAsset(PathString path) => Assets.Any(a => path.Equals(a.Path, StringComparison.Ordinal));

    public static void Map(WebApplication app, CohortNode node, NodeServices services)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(services);
        foreach (var (path, resource, mediaType) in Assets)
        {
            app.MapGet(path, (HttpContext c) =>
            {
                c.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
                c.Response.Headers.XContentTypeOptions = "nosniff";
                c.Response.Headers.CacheControl = "no-cache";
                return Results.Bytes(Embedded.Value[resource], mediaType);
            });
        }

        // This node's samples, or (?scope=cluster) every alive member's, gathered here, with their sum per interval.
        app.MapGet("/v1/stats/samples", async (HttpContext c) =>
        {
            var cluster = Scope(c);
            var since = Since(c);
            var sampler = services.Stats;
            var own = sampler.Samples(since);
            if (!cluster)
            {
                return NodeMiddleware.Json(Value.Map(
                    ("node", node.Address),
                    ("interval_ms", (long)sampler.Interval.TotalMilliseconds),
                    ("samples", Samples(own))));
            }

            var query = since is { } s ? "?since=" + Uri.EscapeDataString(WireFields.Time(s)) : string.Empty;
            var gathered = new List<(string Node, IReadOnlyList<StatsSample>? Samples, string? Error)> { (node.Address, own, null) };
            var others = node.Cluster.AliveMembers.Where(m => m != node.Address).ToList();
            var answers = await Task.WhenAll(others.Select(async member =>
            {
                try
                {
                    var answer = await node.Client.GetAsync(member, "v1/stats/samples" + query, c.RequestAborted).ConfigureAwait(false);
                    return (member, (IReadOnlyList<StatsSample>?)[.. WireFields.List(answer, "samples").Select(StatsSample.FromValue)], (string?)null);
                }
                catch (Exception e) when (e is CohortException or TimeoutException or HttpRequestException)
                {
                    // Gone since the last heartbeat, or slow: the others' samples still answer.
                    return (member, null, e.Message);
                }
            }));
            gathered.AddRange(answers);
            var combined = StatsSampler.Combine(gathered.Where(g => g.Samples is not null).Select(g => g.Samples!), sampler.Interval);
            return NodeMiddleware.Json(Value.Map(
                ("node", node.Address),
                ("interval_ms", (long)sampler.Interval.TotalMilliseconds),
                ("samples", Samples(combined)),
                ("nodes", Value.List(ImmutableArray.CreateRange(gathered.OrderBy(g => g.Node, StringComparer.Ordinal).Select(g => Value.Map(
                    ("node", g.Node),
                    ("samples", g.Samples is { } samples ? Samples(samples) : Value.Null),
                    ("error", Value.From(g.Error)))))))));
        });
    }

    // ?scope=node (the default) or ?scope=cluster.
    internal static bool Scope(HttpContext context)
    {
        var scope = context.Request.Query["scope"].ToString();
        return scope switch
        {
            "" or "node" => false,
            "cluster" => true,
            _ => throw new CohortException(ErrorCodes.BadOperation, $"'scope' must be node or cluster (got '{ApiEndpoints.Shorten(scope)}').", isTransient: false),
        };
    }

    // ?since=<ISO-8601 time>: only samples that end after it.
    internal static DateTimeOffset? Since(HttpContext context)
    {
        var text = context.Request.Query["since"].ToString();
        return text.Length == 0 ? null
            : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var since) ? since
            : throw new CohortException(ErrorCodes.BadOperation, $"'since' must be an ISO-8601 time (got '{ApiEndpoints.Shorten(text)}').", isTransient: false);
    }

    private static Value Samples(IEnumerable<StatsSample> samples) => Value.List(ImmutableArray.CreateRange(samples.Select(s => s.ToValue())));

    private static byte[] Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The dashboard file {name} is not embedded.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
