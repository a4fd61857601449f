using System.Diagnostics;
using Cohort.Core.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cohort.Server.Endpoints;

/// <summary>
/// A Server span (<see cref="CohortTelemetry"/>) for every API and node-to-node request a node handles, a child of the
/// caller's span when the request carries a W3C <c>traceparent</c>. Heartbeats, health, metrics, the dashboard and the
/// node socket itself (whose messages get their own spans) are not traced.
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

        using var activity = CohortTelemetry.Start($"{context.Request.Method} {path}", ActivityKind.Server, context.Request.Headers.TraceParent.ToString() is { Length: > 0 } parent ? parent : null);
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
                // Named after the route template, not the path (which carries transaction ids).
                if (context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } template })
                {
                    activity.DisplayName = $"{context.Request.Method} /{template.TrimStart('/')}";
                    activity.SetTag("http.route", template);
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
        || (path.StartsWith("/internal/", StringComparison.Ordinal) && !path.Equals("/internal/ws", StringComparison.Ordinal))
        || path is "/transaction" or "/prepare" or "/commit" or "/abort";
}
