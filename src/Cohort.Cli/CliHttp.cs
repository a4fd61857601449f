using System.Net.Http.Headers;
using System.Text;
using Cohort.Core;

namespace Cohort.Cli;

/// <summary>
/// Plain JSON calls to one named node, for the commands that talk to a specific node (health, status, commit, add-node,
/// remove-node): every answer is returned as it came, problem or not, and an unreachable node is a value, not an exception.
/// </summary>
internal sealed class CliHttp : IDisposable
{
    private readonly HttpClient _http;

    public CliHttp(string? authToken, TimeSpan? timeout = null)
    {
        _http = new HttpClient { Timeout = timeout ?? TimeSpan.FromSeconds(60) };
        if (CliOptions.Token(authToken) is { } token)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public async Task<CliAnswer> SendAsync(string address, HttpMethod method, string path, Value? body, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate($"http://{address}/", UriKind.Absolute, out var baseUri) || !address.Contains(':', StringComparison.Ordinal))
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
        catch (HttpRequestException e)
        {
            return CliAnswer.Unreachable_($"node {address} is unreachable: {e.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return CliAnswer.Unreachable_($"node {address} did not answer within {_http.Timeout.TotalSeconds:0} s");
        }
    }

    public void Dispose() => _http.Dispose();
}
