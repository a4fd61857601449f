using System.Diagnostics;
using Cohort.Core.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cohort.Server.Endpoints;

/// <summary>
/// A Server span (<see cref="CohortTelemetry"/>) for every API and node-to-node request a node handles, a child of the
/// caller's span when the request carries a W3C <c>traceparent</c>. Heartbeats, health, metrics, the dashboard and the
/// node socket itself (whose messages get their own spans) and replication shipments (idle probes flow every heartbeat)
/// are not traced.
/// </summary>
internal static class TracingMiddleware
{
    public static void Use(WebApplication app, CohortNode node) => app.Use(async (context, next) =>
    {
        var path = context.Request.Path.Value ?? string.Empty;
        if (!CohortTelemetry.Source.HasListeners() || !Traced(path))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        // Named after the route once routing has run; never after the raw path (it carries transaction ids).
        using var activity = CohortTelemetry.Start(context.Request.Method, ActivityKind.Server, context.Request.Headers.TraceParent.ToString() is { Length: > 0 } parent ? parent : null);
        activity?.SetTag(CohortTelemetry.NodeAttribute, node.Address);
        activity?.SetTag("http.request.method", context.Request.Method);
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            if (activity is not null)
            {
                if (context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } template })
                {
                    activity.DisplayName = $"{context.Request.Method} /{template.TrimStart('/')}";
                    activity.SetTag("http.route", template);
                }
                else
                {
                    activity.DisplayName = $"{context.Request.Method} unmatched";
                }

                activity.SetTag("http.response.status_code", context.Response.StatusCode);
                if (context.Response.StatusCode >= 500)
                {
                    activity.SetStatus(ActivityStatusCode.Error);
                }
            }
        }
    });

    private static bool Traced(string path) =>
        path.StartsWith("/v1/", StringComparison.Ordinal)
        || (path.StartsWith("/internal/", StringComparison.Ordinal) && path is not "/internal/ws" and not "/internal/replicate")
        || path is "/transaction" or "/prepare" or "/commit" or "/abort";
}
