using System.Diagnostics;
using Cohort.Core;
using Cohort.Core.Diagnostics;

namespace Cohort.Client;

/// <content>
/// Tracing (<see cref="CohortTelemetry"/>): each call of the client is a Client span, and every request it sends carries
/// the current span's W3C <c>traceparent</c>, so the nodes' spans join the caller's trace.
/// </content>
public sealed partial class CohortClient
{
    /// <summary>
    /// Runs <paramref name="call"/> in a Client span named <paramref name="name"/> (tagged with the transaction and the
    /// resource when given, and the outcome), failed with the exception that ends it.
    /// </summary>
    internal static async Task<T> TracedAsync<T>(string name, TxId? txId, string? resource, Func<Activity?, Task<T>> call)
    {
        using var activity = CohortTelemetry.Start(name, ActivityKind.Client);
        if (activity is not null)
        {
            if (txId is { } id && id != TxId.Empty)
            {
                activity.SetTag(CohortTelemetry.TxIdAttribute, id.ToString());
            }

            if (resource is not null)
            {
                activity.SetTag(CohortTelemetry.ResourceAttribute, resource);
            }
        }

        var started = ClientMetrics.Duration.Enabled ? Stopwatch.GetTimestamp() : 0;
        try
        {
            var result = await call(activity).ConfigureAwait(false);
            if (started != 0)
            {
                ClientMetrics.Record(name, started, "ok");
            }

            return result;
        }
        catch (Exception e)
        {
            var outcome = e switch
            {
                CohortAbortedException => "aborted",
                CohortInDoubtException => "in-doubt",
                _ => "failed",
            };
            CohortTelemetry.Fail(activity, e);
            activity?.SetTag(CohortTelemetry.OutcomeAttribute, outcome);
            if (started != 0)
            {
                ClientMetrics.Record(name, started, outcome);
            }

            throw;
        }
    }

    // The current span's trace context on an outgoing request (HttpClient's own propagation runs only in some handler
    // chains; a header already there is left alone).
    private static void Propagate(HttpRequestMessage request)
    {
        if (CohortTelemetry.CurrentTraceParent() is { } traceParent && !request.Headers.Contains(CohortTelemetry.TraceParentField))
        {
            request.Headers.TryAddWithoutValidation(CohortTelemetry.TraceParentField, traceParent);
            if (Activity.Current?.TraceStateString is { Length: > 0 } state)
            {
                request.Headers.TryAddWithoutValidation("tracestate", state);
            }
        }
    }
}
