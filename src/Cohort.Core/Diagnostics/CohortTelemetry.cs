using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;

namespace Cohort.Core.Diagnostics;

/// <summary>
/// Cohort's tracing: one <see cref="ActivitySource"/> named <see cref="SourceName"/> for the client, the nodes'
/// requests, the coordinator's rounds and the participants' steps, with <c>cohort.*</c> attributes, joined into one trace
/// by the W3C <c>traceparent</c> that travels with every request (HTTP header, or a field of a node-socket message).
/// Nothing is recorded unless a listener (an OpenTelemetry tracer provider with <c>AddSource("Cohort")</c>) is attached.
/// </summary>
public static class CohortTelemetry
{
    /// <summary>The name of the activity source (and of the meter, when there is one): <c>Cohort</c>.</summary>
    public const string SourceName = "Cohort";

    /// <summary>The transaction id attribute.</summary>
    public const string TxIdAttribute = "cohort.tx_id";

    /// <summary>The resource attribute (<c>kv:users</c>).</summary>
    public const string ResourceAttribute = "cohort.resource";

    /// <summary>The outcome attribute: <c>committed</c>, <c>aborted</c>, <c>in-doubt</c>, or a vote.</summary>
    public const string OutcomeAttribute = "cohort.outcome";

    /// <summary>The node that recorded the span (its address).</summary>
    public const string NodeAttribute = "cohort.node";

    /// <summary>The operation's name (<c>put</c>, <c>transfer</c>, <c>sql</c>).</summary>
    public const string OperationAttribute = "cohort.operation";

    /// <summary>The field of a node-socket request that carries the W3C trace context.</summary>
    public const string TraceParentField = "traceparent";

    /// <summary>The abort reason attribute of the transaction counters (an error code: <c>conflict</c>, <c>expired</c>).</summary>
    public const string ReasonAttribute = "cohort.reason";

    /// <summary>Cohort's version, as the activity source and the meters report it.</summary>
    public static string Version { get; } = typeof(CohortTelemetry).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";

    /// <summary>The activity source.</summary>
    public static ActivitySource Source { get; } = new(SourceName, Version);

    /// <summary>
    /// The meter of the client library (<c>Cohort</c>, like the nodes' own): <c>cohort.client.request.duration</c> and
    /// <c>cohort.client.retries</c>. A node's instruments are on a meter of the same name that carries its address.
    /// </summary>
    public static Meter ClientMeter { get; } = new(SourceName, Version);

    /// <summary>
    /// Starts a span (null when nobody listens), a child of <paramref name="traceParent"/> (a W3C <c>traceparent</c> that
    /// came with the request being handled) when given, else of <see cref="Activity.Current"/>.
    /// </summary>
    /// <param name="name">The span's name (<c>cohort.commit</c>).</param>
    /// <param name="kind">Client for calls out, Server for requests handled, Internal for steps.</param>
    /// <param name="traceParent">The remote parent, or null.</param>
    /// <returns>The started activity, or null.</returns>
    public static Activity? Start(string name, ActivityKind kind = ActivityKind.Internal, string? traceParent = null)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        // The context that came with the request wins over whatever is current where it is handled (the web host's own
        // activity, or a socket's, which belongs to the request that opened it).
        var parent = ActivityContext.TryParse(traceParent, null, isRemote: true, out var remote) ? remote : default;
        return Source.StartActivity(name, kind, parent);
    }

    /// <summary>
    /// The W3C <c>traceparent</c> of <see cref="Activity.Current"/> when it is recorded and Cohort is traced here, else
    /// null (an activity nobody records, such as the web host's own for log scopes, is not sent on).
    /// </summary>
    public static string? CurrentTraceParent() =>
        Source.HasListeners() && Activity.Current is { IdFormat: ActivityIdFormat.W3C, Recorded: true } current ? current.Id : null;

    /// <summary>Records an exception on <paramref name="activity"/> and marks it failed (nothing when null).</summary>
    /// <param name="activity">The span.</param>
    /// <param name="error">What went wrong.</param>
    public static void Fail(Activity? activity, Exception error)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetStatus(ActivityStatusCode.Error, error.Message);
        activity.AddException(error);
        if (error is CohortException cohort)
        {
            activity.SetTag("cohort.error_code", cohort.Code);
        }
    }
}
