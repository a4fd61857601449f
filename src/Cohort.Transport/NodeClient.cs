using System.Net.Http.Headers;
using System.Text;
using Cohort.Coordination;
using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Transport;

/// <summary>
/// Sends JSON requests to other nodes with the cluster's bearer token. A problem response becomes a
/// <see cref="CohortException"/> with the same code; a node that cannot be reached becomes <c>unavailable</c>.
/// </summary>
public sealed class NodeClient : INodeMessages, IDisposable
{
    private readonly HttpClient _http;
    private readonly PeerRoutes _routes;
    private readonly TlsTrust? _tls;

    /// <summary>
    /// Creates a client; <paramref name="authToken"/> is sent as <c>Authorization: Bearer</c> when set, a node with a
    /// route in <paramref name="routes"/> is dialled there rather than at its name, and with <paramref name="tls"/> nodes
    /// are called over https, their certificates checked against it.
    /// </summary>
    public NodeClient(string? authToken, TimeSpan timeout, HttpMessageHandler? handler = null, PeerRoutes? routes = null, TlsTrust? tls = null)
    {
        _routes = routes ?? PeerRoutes.None;
        _tls = tls;
        _http = handler is null ? new HttpClient(CreateHandler(tls, 256)) : new HttpClient(handler);
        _http.Timeout = timeout;
        if (authToken is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", authToken);
        }
    }

    /// <summary>POSTs <paramref name="body"/> to <paramref name="path"/> on node <paramref name="node"/> and returns the JSON answer.</summary>
    /// <remarks>One HTTP request per call.</remarks>
    public async ValueTask<Value> PostAsync(string node, string path, Value body, CancellationToken cancellationToken)
    {
        using var content = new StringContent(ValueJson.Serialize(body), Encoding.UTF8, "application/json");
        return await SendAsync(node, new HttpRequestMessage(HttpMethod.Post, Url(node, path)) { Content = content }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>GETs <paramref name="path"/> on node <paramref name="node"/> and returns the JSON answer.</summary>
    public ValueTask<Value> GetAsync(string node, string path, CancellationToken cancellationToken) =>
        SendAsync(node, new HttpRequestMessage(HttpMethod.Get, Url(node, path)), cancellationToken);

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();

    /// <summary>
    /// The connection handler of calls between nodes: pooled connections renewed every two minutes, and with
    /// <paramref name="tls"/> certificates checked against it.
    /// </summary>
    public static SocketsHttpHandler CreateHandler(TlsTrust? tls, int connectionsPerServer)
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2), MaxConnectionsPerServer = connectionsPerServer };
        return tls is null ? handler : tls.Apply(handler);
    }

    private Uri Url(string node, string path) => new(_routes.BaseUri(node, _tls is not null), path.TrimStart('/'));

    private async ValueTask<Value> SendAsync(string node, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            // The caller's trace goes with the request (the receiving node's spans join it).
            if (Core.Diagnostics.CohortTelemetry.CurrentTraceParent() is { } traceParent)
            {
                request.Headers.TryAddWithoutValidation(Core.Diagnostics.CohortTelemetry.TraceParentField, traceParent);
            }

            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                var why = _tls?.Explain(e, request.RequestUri!) ?? e.Message;
                throw new CohortException(ErrorCodes.Unavailable, $"Node {node} is unreachable: {why}", isTransient: true);
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Node {node} did not answer {request.RequestUri?.AbsolutePath} in time.");
            }

            using (response)
            {
                string text;
                try
                {
                    text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is HttpRequestException or IOException)
                {
                    throw new CohortException(ErrorCodes.Unavailable, $"The answer of node {node} to {request.RequestUri?.AbsolutePath} was cut off: {e.Message}", isTransient: true);
                }

                if (response.IsSuccessStatusCode)
                {
                    return text.Length == 0 ? Value.Null : ValueJson.Parse(text);
                }

                var problem = Value.Null;
                try
                {
                    problem = ValueJson.Parse(text);
                }
                catch (CohortException)
                {
                    // Not a problem body (a proxy, a crash mid-response): keep the status.
                }

                throw Problem.Read((int)response.StatusCode, problem, $"Node {node} answered {(int)response.StatusCode} to {request.RequestUri?.AbsolutePath}.").ToException();
            }
        }
    }
}
