using Cohort.Server.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cohort.Server.Endpoints;

/// <summary>
/// Counts and times every request the node answers (<see cref="HttpMetrics"/>). Installed first, so that it sees the
/// status of every answer, the problem answers written by <see cref="NodeMiddleware"/> included.
/// </summary>
internal static class HttpMetricsMiddleware
{
    /// <summary>Installs the middleware on <paramref name="app"/>, recording into <paramref name="metrics"/>.</summary>
    public static void Use(WebApplication app, HttpMetrics metrics, TimeProvider time)
    {
        app.Use(async (context, next) =>
        {
            var started = time.GetTimestamp();
            var failed = true;
            try
            {
                await next(context).ConfigureAwait(false);
                failed = false;
            }
            finally
            {
                // Routing ran before this middleware, so the endpoint (and its template) is known here.
                var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
                var status = failed && !context.Response.HasStarted ? StatusCodes.Status500InternalServerError : context.Response.StatusCode;
                metrics.Record(context.Request.Method, route, status, time.GetElapsedTime(started));
            }
        });
    }
}
