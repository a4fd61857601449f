using System.Diagnostics;
using System.Diagnostics.Metrics;
using Cohort.Core.Diagnostics;

namespace Cohort.Client;

/// <summary>
/// The client's instruments on the <c>Cohort</c> meter (<see cref="CohortTelemetry.ClientMeter"/>): how long each call
/// took, by call and outcome, and how many rounds were retried. Recorded only while a listener (an OpenTelemetry meter
/// provider with <c>AddCohortInstrumentation()</c>) is attached.
/// </summary>
internal static class ClientMetrics
{
    /// <summary>
    /// <c>cohort.client.request.duration</c> (seconds): each call of the client (begin, an operation, commit, batch,
    /// read, …), retries included, with <c>cohort.operation</c> (the span's name without <c>cohort.</c>) and
    /// <c>cohort.outcome</c> (<c>ok</c>, <c>aborted</c>, <c>in-doubt</c>, <c>failed</c>).
    /// </summary>
    public static readonly Histogram<double> Duration = CohortTelemetry.ClientMeter.CreateHistogram<double>(
        "cohort.client.request.duration",
        unit: "s",
        description: "Duration of the Cohort client's calls, retries included.",
        tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

    /// <summary><c>cohort.client.retries</c>: rounds over the nodes that failed and were tried again.</summary>
    public static readonly Counter<long> Retries = CohortTelemetry.ClientMeter.CreateCounter<long>(
        "cohort.client.retries",
        unit: "{round}",
        description: "Rounds over the known nodes that failed and were retried.");

    public static void Record(string name, long startedTimestamp, string outcome)
    {
        if (!Duration.Enabled)
        {
            return;
        }

        var operation = name.StartsWith("cohort.", StringComparison.Ordinal) ? name["cohort.".Length..] : name;
        Duration.Record(
            Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds,
            new KeyValuePair<string, object?>(CohortTelemetry.OperationAttribute, operation),
            new KeyValuePair<string, object?>(CohortTelemetry.OutcomeAttribute, outcome));
    }
}
