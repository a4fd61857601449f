using System.Text;
using Cohort.Coordination;
using Cohort.Core;
using Cohort.Protocol;
using Microsoft.AspNetCore.Http;

namespace Cohort.Server.Endpoints;

/// <summary>Runs a coordinator call on the master, or forwards the request to the master from any other node.</summary>
internal static class Forward
{
    /// <summary>
    /// For a call on an existing transaction: runs it here when this node's coordinator began it (even if this node
    /// has since lost the mastership: its commit then aborts, its abort works, and its locks are not left to the
    /// deadline), else like <see cref="OrRun"/>.
    /// </summary>
    public static Task<IResult> OrRunOwn(CohortNode node, HttpContext context, string txId, Func<Coordinator, Task<IResult>> run) =>
        TxId.TryParse(txId, null, out var id) && node.Coordinator.GetStatus(id) is not null
            ? run(node.Coordinator)
            : OrRun(node, context, run);

    public static async Task<IResult> OrRun(CohortNode node, HttpContext context, Func<Coordinator, Task<IResult>> run)
    {
        if (node.Cluster.IsLeader)
        {
            return await run(node.Coordinator).ConfigureAwait(false);
        }

        var master = node.Cluster.Master;
        if (master is null || master == node.Address)
        {
            // No master, or this node was master and has yet to confirm it still is (after a pause, say).
            throw new CohortException(ErrorCodes.NoLeader, "No master is confirmed right now (an election may be under way); retry shortly.", isTransient: true);
        }

        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted).ConfigureAwait(false);
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(node.Options.PeerRoutes.BaseUri(master, node.Secure), context.Request.Path + context.Request.QueryString));
        if (body.Length > 0)
        {
            request.Content = new ByteArrayContent(body.ToArray());
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }

        if (context.Request.Headers.Authorization.Count > 0)
        {
            request.Headers.TryAddWithoutValidation("Authorization", context.Request.Headers.Authorization.ToString());
        }

        HttpResponseMessage response;
        try
        {
            response = await node.ForwardHttp.SendAsync(request, context.RequestAborted).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            // A refused connection proves the master never saw the request, so the client may send it again as it is.
            throw new CohortException(ErrorCodes.Unavailable, $"The master {master} is unreachable: {e.Message}", isTransient: true)
            {
                NeverRan = e.HttpRequestError is HttpRequestError.ConnectionError
                    && e.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused },
            };
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(context.RequestAborted).ConfigureAwait(false);
            var type = response.Content.Headers.ContentType?.MediaType ?? "application/json";
            return Results.Text(text, type, Encoding.UTF8, (int)response.StatusCode);
        }
    }
}
