using Cohort.Core.Diagnostics;

namespace OpenTelemetry.Trace;

/// <summary>Adds Cohort's spans to an OpenTelemetry tracer provider.</summary>
public static class CohortInstrumentationExtensions
{
    /// <summary>
    /// Records Cohort's spans (<see cref="CohortTelemetry.SourceName"/>): the client's begin, operations, commit,
    /// batch and read, and, in a process that hosts nodes, their requests, the coordinator's rounds and the participants'
    /// steps. The client sends the current trace context with every request, so the nodes' spans (exported by the nodes,
    /// <c>--otlp-endpoint</c>) join the application's traces.
    /// </summary>
    /// <param name="builder">The tracer provider builder.</param>
    /// <returns>The builder.</returns>
    public static TracerProviderBuilder AddCohortInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(CohortTelemetry.SourceName);
    }
}
