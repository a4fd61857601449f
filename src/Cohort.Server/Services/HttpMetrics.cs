using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Cohort.Coordination;

namespace Cohort.Server.Services;

/// <summary>
/// The node's own HTTP requests, for <c>/metrics</c>: a count by method, route template and status class, and one
/// duration histogram. Every label is from a bounded set: methods other than the usual ones are <c>OTHER</c>, a
/// request no endpoint matched is <c>unmatched</c>, and a route is its template (<c>/v1/tx/{id}</c>), never the path.
/// </summary>
internal sealed class HttpMetrics
{
    /// <summary>The route label of a request no endpoint matched.</summary>
    public const string Unmatched = "unmatched";

    private const int StatusSwitchingProtocols = 101;

    private static readonly string[] Methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

    private readonly ConcurrentDictionary<(string Method, string Route, string Status), StrongBox<long>> _requests = new();

    /// <summary>
    /// How long requests took, from the first middleware until the answer was written; not those switched to another
    /// protocol (101: the node-to-node WebSocket connections), whose time is the connection's life.
    /// </summary>
    public LatencyHistogram Duration { get; } = new();

    /// <summary>Counts one finished request.</summary>
    /// <param name="method">Its HTTP method.</param>
    /// <param name="route">The matched endpoint's route template, or null when none matched.</param>
    /// <param name="status">The status code answered.</param>
    /// <param name="elapsed">How long it took.</param>
    public void Record(string method, string? route, int status, TimeSpan elapsed)
    {
        var key = (MethodLabel(method), route ?? Unmatched, StatusClass(status));
        Interlocked.Increment(ref _requests.GetOrAdd(key, static _ => new StrongBox<long>()).Value);
        if (status != StatusSwitchingProtocols)
        {
            Duration.Record(elapsed);
        }
    }

    /// <summary>The counts so far, ordered by route, method and status class.</summary>
    public IReadOnlyList<(string Method, string Route, string Status, long Count)> Requests() =>
        [.. _requests
            .Select(r => (r.Key.Method, r.Key.Route, r.Key.Status, Interlocked.Read(ref r.Value.Value)))
            .OrderBy(r => r.Route, StringComparer.Ordinal)
            .ThenBy(r => r.Method, StringComparer.Ordinal)
            .ThenBy(r => r.Status, StringComparer.Ordinal)];

    /// <summary>The method label: the method in upper case when it is a usual one, else <c>OTHER</c>.</summary>
    public static string MethodLabel(string method) =>
        Array.Find(Methods, m => string.Equals(m, method, StringComparison.OrdinalIgnoreCase)) ?? "OTHER";

    /// <summary>The status class label: <c>1xx</c> … <c>5xx</c>, or <c>other</c> outside 100-599.</summary>
    public static string StatusClass(int status) => status is >= 100 and < 600 ? $"{status / 100}xx" : "other";
}
