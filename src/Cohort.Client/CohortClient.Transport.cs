using System.Net.Http.Headers;
using System.Text;
using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Client;

/// <content>
/// Sending: which node to ask, and which failures may be retried. A request that certainly never reached a node
/// (connection refused) goes to the next node; an idempotent request is retried on any transient failure with bounded
/// backoff; a request that changes state (an operation, a commit, a batch) is never sent twice once it may have arrived.
/// </content>
public sealed partial class CohortClient
{
    private readonly object _sync = new();
    private string? _leader;

    // The last leader learnt (kept when _leader is forgotten), to log changes.
    private string? _lastLeader;
    private bool _discovered;
    private int _preferred;

    /// <summary>
    /// Sends one request to the cluster and returns the JSON answer of a successful (2xx) response.
    /// </summary>
    /// <param name="method">The HTTP method.</param>
    /// <param name="path">The path, e.g. <c>v1/resources</c>.</param>
    /// <param name="body">The JSON body, or null for none.</param>
    /// <param name="idempotent">
    /// Whether sending the request twice is harmless. Only such requests are retried after they may have reached a node.
    /// </param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The answer's JSON (<see cref="Value.Null"/> for an empty body).</returns>
    /// <exception cref="CohortClientException">
    /// The node answered with a problem (its code and status), or no node could be reached (<c>unavailable</c>).
    /// </exception>
    public async Task<Value> SendAsync(HttpMethod method, string path, Value? body, bool idempotent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (_options.DiscoverLeader && !Volatile.Read(ref _discovered))
        {
            await DiscoverLeaderAsync(cancellationToken).ConfigureAwait(false);
        }

        // Jitter keeps many clients from retrying in step: each pause is drawn from [½, 1) of the doubling delay.
        var backoff = new Backoff(_options.InitialBackoff, _options.MaxBackoff, jitter: 0.5);
        string? lastFailure = null;
        for (var attempt = 1; ; attempt++)
        {
            // A round in which every node refused the TLS handshake ends the call: another round would meet the same
            // certificates (a wrong CA, a node without TLS).
            string? tlsFailure = null;
            var otherFailure = false;
            foreach (var address in Candidates())
            {
                if (lastFailure is not null)
                {
                    ClientLog.TryingAnotherNode(_logger, method.Method, path, lastFailure);
                }

                var outcome = await SendOnceAsync(address, method, path, body, cancellationToken).ConfigureAwait(false);
                switch (outcome.Kind)
                {
                    case SendKind.Answered:
                        Prefer(address);
                        return outcome.Body;
                    case SendKind.Problem when !(outcome.Problem!.Status == 503 && ErrorCatalog.Of(outcome.Problem.Code).IsTransient):
                        Prefer(address);
                        throw outcome.ToException();
                    case SendKind.Problem when !idempotent && !outcome.Problem!.NeverRan:
                        // The node could not finish the call (the master went away while forwarding, a participant did
                        // not answer): the call may have run, so it is not sent again. Whether it did not run is the
                        // problem's never_ran field (ErrorCatalog), never its wording.
                        ClientLog.AnswerLost(_logger, method.Method, path, outcome.Detail);
                        throw new LostAnswerException(outcome.Detail, outcome.Status);
                    case SendKind.Lost when !idempotent:
                        ForgetLeader();
                        ClientLog.AnswerLost(_logger, method.Method, path, outcome.Detail);
                        throw new LostAnswerException(outcome.Detail, null);
                    case SendKind.Untrusted:
                        tlsFailure = lastFailure = outcome.Detail;
                        ForgetLeader();
                        break;
                    default:
                        // Never delivered (connection refused), or an idempotent call that met an outage: try elsewhere.
                        // The master may have changed (a 503 from a node that stopped leading): ask again next round.
                        lastFailure = outcome.Detail;
                        otherFailure = true;
                        ForgetLeader();
                        break;
                }
            }

            if (tlsFailure is not null && !otherFailure)
            {
                throw new CohortClientException(ErrorCodes.Unavailable, tlsFailure, null, isTransient: false);
            }

            if (attempt >= _options.MaxAttempts)
            {
                throw new CohortClientException(ErrorCodes.Unavailable, $"No node could serve {method} /{path} after {attempt} rounds over {string.Join(", ", _options.Addresses)}: {lastFailure}", null, isTransient: true);
            }

            var pause = backoff.Next();
            ClientMetrics.Retries.Add(1);
            ClientLog.RoundFailed(_logger, method.Method, path, attempt, _options.MaxAttempts, pause.TotalMilliseconds, lastFailure);
            lastFailure = null;
            await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
            if (_options.DiscoverLeader && !Volatile.Read(ref _discovered))
            {
                await DiscoverLeaderAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The base URI of a node address (<c>host:port</c> or a full <c>http(s)://</c> URL); a bare <c>host:port</c> is
    /// https when <paramref name="secure"/>.
    /// </summary>
    internal static Uri BaseUri(string address, bool secure = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        var text = address.Contains("://", StringComparison.Ordinal) ? address : (secure ? "https://" : "http://") + address;
        if (!Uri.TryCreate(text.EndsWith('/') ? text : text + "/", UriKind.Absolute, out var uri) || uri.Port <= 0 || (uri.Scheme != "http" && uri.Scheme != "https"))
        {
            throw new ArgumentException($"'{address}' is not a node address (host:port or http://host:port).", nameof(address));
        }

        return uri;
    }

    private IEnumerable<string> Candidates()
    {
        string? leader;
        int preferred;
        lock (_sync)
        {
            leader = _leader;
            preferred = _preferred;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (leader is not null && seen.Add(leader))
        {
            yield return leader;
        }

        var count = _options.Addresses.Count;
        for (var i = 0; i < count; i++)
        {
            var address = _options.Addresses[(preferred + i) % count];
            if (seen.Add(address))
            {
                yield return address;
            }
        }
    }

    private void Prefer(string address)
    {
        lock (_sync)
        {
            if (address != _leader)
            {
                var index = _options.Addresses.ToList().IndexOf(address);
                _preferred = index >= 0 ? index : _preferred;
            }
        }
    }

    private void ForgetLeader()
    {
        lock (_sync)
        {
            _leader = null;
            _discovered = false;
        }
    }

    // Asks the configured nodes who the master is; nothing is lost when none answers (they forward anyway).
    private async Task DiscoverLeaderAsync(CancellationToken cancellationToken)
    {
        foreach (var address in _options.Addresses)
        {
            var outcome = await SendOnceAsync(address, HttpMethod.Get, "cluster/nodes", null, cancellationToken).ConfigureAwait(false);
            if (outcome.Kind == SendKind.Answered)
            {
                var leader = outcome.Body.TryGetField("master_addr", out var m) && m.Kind == ValueKind.String ? m.AsString() : null;
                string? previous;
                lock (_sync)
                {
                    previous = _lastLeader;
                    _leader = leader;
                    _lastLeader = leader ?? _lastLeader;
                    _discovered = true;
                }

                if (leader is not null && leader != previous)
                {
                    ClientLog.LeaderChanged(_logger, leader, previous ?? "not known");
                }

                return;
            }
        }
    }

    private async Task<SendOutcome> SendOnceAsync(string address, HttpMethod method, string path, Value? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(BaseUri(address, _secure), path.TrimStart('/')));
        if (_authorization is not null)
        {
            request.Headers.Authorization = _authorization;
        }

        Propagate(request);

        if (body is { } b)
        {
            request.Content = new StringContent(ValueJson.Serialize(b), Encoding.UTF8, "application/json");
        }

        HttpResponseMessage response;
        try
        {
            response = await (_http ?? _httpClients!()).SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (_trust.Explain(e, request.RequestUri!) is { } why)
        {
            // The TLS handshake failed: nothing was sent.
            return SendOutcome.Failed(SendKind.Untrusted, why);
        }
        catch (HttpRequestException e) when (e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
            || e.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused })
        {
            return SendOutcome.Failed(SendKind.NotDelivered, $"{address} is unreachable: {e.Message}");
        }
        catch (HttpRequestException e)
        {
            return SendOutcome.Failed(SendKind.Lost, $"the connection to {address} failed before the answer came: {e.Message}");
        }
        catch (System.Net.Sockets.SocketException e)
        {
            // Not wrapped by HttpClient when the peer dies while a new connection is being set up (reading its remote
            // endpoint fails with "not connected"; seen in CI): the request never went out on that connection.
            return SendOutcome.Failed(SendKind.NotDelivered, $"{address} is unreachable: {e.Message}");
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            return SendOutcome.Failed(SendKind.Lost, $"{address} did not answer within {(_http?.Timeout ?? _options.RequestTimeout).TotalSeconds:0} s: {e.Message}");
        }

        using (response)
        {
            string text;
            try
            {
                text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                return SendOutcome.Failed(SendKind.Lost, $"the answer from {address} was cut off: {e.Message}");
            }

            var status = (int)response.StatusCode;
            var isProblem = response.Content.Headers.ContentType?.MediaType == Problem.MediaType || status >= 400;
            Value parsed;
            try
            {
                parsed = text.Length == 0 ? Value.Null : ValueJson.Parse(text);
            }
            catch (CohortException)
            {
                return isProblem
                    ? SendOutcome.Refused(Problem.Read(status, Value.Null, $"{address} answered {status}: {Truncate(text)}"))
                    : SendOutcome.Failed(SendKind.Lost, $"{address} answered {status} with a body that is not JSON: {Truncate(text)}", status);
            }

            if (!isProblem)
            {
                return new SendOutcome(SendKind.Answered, status, parsed, null, null);
            }

            return SendOutcome.Refused(Problem.Read(status, parsed, $"{address} answered {status}"));
        }
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "…";

    private static AuthenticationHeaderValue? Authorization(string? token) => string.IsNullOrEmpty(token) ? null : new AuthenticationHeaderValue("Bearer", token);

    private enum SendKind
    {
        Answered,
        Problem,
        NotDelivered,
        Lost,

        // The TLS handshake failed (a certificate refused, a node without TLS): not delivered either.
        Untrusted,
    }

    private readonly record struct SendOutcome(SendKind Kind, int Status, Value Body, Problem? Problem, string? Detail)
    {
        public static SendOutcome Refused(Problem problem) => new(SendKind.Problem, problem.Status, Value.Null, problem, problem.Detail);

        public static SendOutcome Failed(SendKind kind, string detail, int status = 0) => new(kind, status, Value.Null, null, detail);

        public CohortClientException ToException() => Problem is { } p
            ? new CohortClientException(p.Code, p.Detail, p.Status, p.IsTransient)
            : new CohortClientException(ErrorCodes.Unavailable, Detail ?? ErrorCodes.Unavailable, Status == 0 ? null : Status, isTransient: true);
    }
}
