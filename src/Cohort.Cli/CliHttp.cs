using System.Net.Http.Headers;
using System.Text;
using Cohort.Core;

namespace Cohort.Cli;

/// <summary>
/// Plain JSON calls to named nodes, for the commands that talk to a specific node (health, status, commit, add-node,
/// remove-node, resources, dashboard): every answer is returned as it came, problem or not, and an unreachable node is
/// a value, not an exception.
/// </summary>
internal sealed class CliHttp : IDisposable
{
    private readonly HttpClient _http;
    private readonly Protocol.TlsTrust _trust;
    private readonly bool _secure;

    // With tlsCa (a TLS cluster with a private CA), certificates are checked against it and bare host:port is https.
    public CliHttp(string? authToken, TimeSpan? timeout = null, string? tlsCa = null)
    {
        _trust = Protocol.TlsTrust.For(tlsCa);
        _secure = tlsCa is not null;
        _http = new HttpClient(_trust.Apply(new SocketsHttpHandler())) { Timeout = timeout ?? TimeSpan.FromSeconds(60) };
        if (CliOptions.Token(authToken) is { } token)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    /// <summary>
    /// The base URL of a node given as host:port or as an http(s) URL (a bare host:port is https when
    /// <paramref name="secure"/>); null when it is neither.
    /// </summary>
    public static Uri? BaseUri(string address, bool secure = false) =>
        address.Contains("://", StringComparison.Ordinal)
            ? Uri.TryCreate(address.TrimEnd('/') + "/", UriKind.Absolute, out var url) && url.Scheme is "http" or "https" ? url : null
            : address.Contains(':', StringComparison.Ordinal) && Uri.TryCreate($"{(secure ? "https" : "http")}://{address}/", UriKind.Absolute, out var plain) ? plain : null;

    /// <summary>The base URL this client calls <paramref name="address"/> at (https for a bare host:port with a CA); null when it is no address.</summary>
    public Uri? UrlOf(string address) => BaseUri(address, _secure);

    /// <summary><paramref name="address"/> as an https URL when it is a bare host:port and <paramref name="secure"/>; else as given.</summary>
    public static string Secure(string address, bool secure) =>
        secure && !address.Contains("://", StringComparison.Ordinal) ? "https://" + address : address;

    /// <summary>
    /// Sends to the first of <paramref name="addresses"/> that takes the request: the next one is tried only when a
    /// node could not be connected to (so the request never left), never after it may have run.
    /// </summary>
    public async Task<CliAnswer> SendFirstAsync(IReadOnlyList<string> addresses, HttpMethod method, string path, Value? body, CancellationToken cancellationToken)
    {
        CliAnswer? answer = null;
        foreach (var address in addresses)
        {
            answer = await SendAsync(address, method, path, body, cancellationToken).ConfigureAwait(false) with { Address = address };
            if (!answer.NotSent)
            {
                return answer;
            }
        }

        return answer ?? CliAnswer.Unreachable_("no node address given");
    }

    public async Task<CliAnswer> SendAsync(string address, HttpMethod method, string path, Value? body, CancellationToken cancellationToken)
    {
        if (BaseUri(address, _secure) is not { } baseUri)
        {
            return CliAnswer.Unreachable_($"'{address}' is not a node address (host:port)");
        }

        using var request = new HttpRequestMessage(method, new Uri(baseUri, path));
        if (body is { } b)
        {
            request.Content = new StringContent(ValueJson.Serialize(b), Encoding.UTF8, "application/json");
        }

        try
        {
            using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            // A refused seed /transaction answers 409 with its own JSON body: only problem+json (or a body that is not JSON) is a problem.
            var problem = response.Content.Headers.ContentType?.MediaType == "application/problem+json";
            Value parsed;
            try
            {
                parsed = text.Length == 0 ? Value.Null : ValueJson.Parse(text);
            }
            catch (CohortException)
            {
                parsed = Value.Map(("detail", text));
                problem = true;
            }

            return new CliAnswer((int)response.StatusCode, parsed, problem, null);
        }
        catch (HttpRequestException e) when (_trust.Explain(e, baseUri) is { } why)
        {
            // The handshake failed: nothing was sent, and another node of the cluster would answer the same way.
            return CliAnswer.Unreachable_(why) with { NotSent = false };
        }
        catch (HttpRequestException e)
        {
            return CliAnswer.Unreachable_($"node {address} is unreachable: {e.Message}") with { NotSent = e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError };
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return CliAnswer.Unreachable_($"node {address} did not answer within {_http.Timeout.TotalSeconds:0} s") with { NotSent = false };
        }
    }

    public void Dispose() => _http.Dispose();
}
