using Cohort.Core;
using Cohort.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Cohort.Server.Endpoints;

/// <summary>
/// On a TLS node, the endpoints only nodes call (<c>/internal/…</c>, <c>/cluster/heartbeat</c>, <c>/cluster/join</c>)
/// need the caller's client certificate, which the TLS layer has already checked against the node's CA: a holder of
/// the bearer token without a node certificate cannot pose as a node. The API, the dashboard and the cluster's
/// administrative endpoints need none.
/// </summary>
internal static class PeerCertificates
{
    public static void Use(WebApplication app, CohortNode node)
    {
        if (!node.Secure)
        {
            return;
        }

        app.Use(async (context, next) =>
        {
            var path = context.Request.Path;
            var peerOnly = path.StartsWithSegments("/internal", StringComparison.Ordinal)
                || path.Equals("/cluster/heartbeat", StringComparison.Ordinal)
                || path.Equals("/cluster/join", StringComparison.Ordinal);
            if (peerOnly && context.Connection.ClientCertificate is null)
            {
                var problem = Problem.For(ErrorCodes.Unauthorized, $"{path} is for the cluster's nodes: it needs the calling node's certificate (presented as a TLS client certificate, issued by the cluster's CA).");
                context.Response.StatusCode = problem.Status;
                context.Response.ContentType = Problem.MediaType;
                await context.Response.WriteAsync(ValueJson.Serialize(problem.ToValue()), context.RequestAborted).ConfigureAwait(false);
                return;
            }

            await next(context).ConfigureAwait(false);
        });
    }
}
