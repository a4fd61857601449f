using Cohort.Core.Diagnostics;

namespace OpenTelemetry.Metrics;

/// <summary>Adds Cohort's instruments to an OpenTelemetry meter provider.</summary>
public static class CohortMeterInstrumentationExtensions
{
    /// <summary>
    /// Records Cohort's metrics (the <c>Cohort</c> meter): the client's <c>cohort.client.request.duration</c> (seconds,
    /// by <c>cohort.operation</c> and <c>cohort.outcome</c>) and <c>cohort.client.retries</c>, and, in a process that
    /// hosts nodes, their transaction counters, commit duration and members (each with <c>cohort.node</c>).
    /// </summary>
    /// <param name="builder">The meter provider builder.</param>
    /// <returns>The builder.</returns>
    public static MeterProviderBuilder AddCohortInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(CohortTelemetry.SourceName);
    }
}
