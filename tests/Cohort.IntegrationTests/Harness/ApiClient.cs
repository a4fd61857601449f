using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Cohort.IntegrationTests.Harness;

/// <summary>JSON calls to any node of a test cluster (with the cluster's bearer token when it has one).</summary>
internal sealed class ApiClient : IDisposable
{
    private const int LargeBody = 64 * 1024;

    private readonly HttpClient _http;

    // tlsCa: the CA file of a TLS cluster's nodes (their BaseUri is then https).
    public ApiClient(string? authToken, TimeSpan? timeout = null, string? tlsCa = null)
    {
        _http = new HttpClient(Protocol.TlsTrust.For(tlsCa).Apply(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromSeconds(30),
            MaxConnectionsPerServer = 64,

            // Large bodies go with "Expect: 100-continue" (below); wait for the server's interim or final answer.
            Expect100ContinueTimeout = TimeSpan.FromSeconds(30),
        }))
        {
            Timeout = timeout ?? TimeSpan.FromSeconds(60),
        };
        if (authToken is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", authToken);
        }
    }

    public Task<ApiResponse> PostAsync(NodeProcess node, string path, JsonNode? body, CancellationToken cancellationToken = default) =>
        SendRawAsync(node, HttpMethod.Post, path, body?.ToJsonString(), cancellationToken: cancellationToken);

    public Task<ApiResponse> GetAsync(NodeProcess node, string path, CancellationToken cancellationToken = default) =>
        SendRawAsync(node, HttpMethod.Get, path, null, cancellationToken: cancellationToken);

    /// <summary>Sends <paramref name="body"/> as is (possibly not JSON at all).</summary>
    public async Task<ApiResponse> SendRawAsync(NodeProcess node, HttpMethod method, string path, string? body, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(method, new Uri(node.BaseUri, path.TrimStart('/')));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");

            // A body over the node's limit is refused (413) from its headers; without "Expect: 100-continue" the
            // server answers and closes while the client is still sending, and the client sees a broken pipe
            // instead of the answer.
            request.Headers.ExpectContinue = body.Length > LargeBody;
        }

        return await SendAsync(request, cancellationToken);
    }

    /// <summary>Sends raw bytes (not necessarily UTF-8) with an optional Authorization header given verbatim.</summary>
    public async Task<ApiResponse> SendBytesAsync(NodeProcess node, HttpMethod method, string path, byte[]? body, string? authorization = null, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(method, new Uri(node.BaseUri, path.TrimStart('/')));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return await SendAsync(request, cancellationToken);
    }

    public void Dispose() => _http.Dispose();

    private async Task<ApiResponse> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var response = await _http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        JsonNode? json = null;
        try
        {
            json = text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            // Not JSON; the text is kept.
        }

        return new ApiResponse((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, text, json);
    }
}
