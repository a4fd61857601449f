using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Cohort.Server.Endpoints;

/// <summary>
/// <c>GET /dashboard</c>: one static page (an embedded resource) that polls the node's own JSON endpoints
/// (<c>/cluster/nodes</c>, <c>/v1/resources</c>, <c>/v1/tx?state=in-doubt</c>, <c>/metrics</c>) every two seconds. The page
/// itself holds no data; like every endpoint but <c>/health</c> it needs the bearer token when the node has one, and it
/// sends a token given in the URL fragment (<c>/dashboard#token=…</c>, never sent to the server) with its fetches.
/// </summary>
internal static class DashboardEndpoints
{
    private const string ResourceName = "Cohort.Server.Dashboard.dashboard.html";

    private static readonly Lazy<string> Page = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The dashboard page ({ResourceName}) is not embedded.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    public static void Map(WebApplication app, CohortNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        app.MapGet("/dashboard", () => Results.Text(Page.Value, "text/html; charset=utf-8"));
    }
}
