using Cohort.Client;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the Cohort health check (<see cref="CohortHealthCheck"/>) to a health checks builder.</summary>
public static class CohortHealthChecksBuilderExtensions
{
    /// <summary>
    /// Checks the Cohort cluster through the registered <see cref="ICohortClient"/> (<c>AddCohortClient</c>): a node
    /// answers and names a leader, and how many transactions are in doubt.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="failureStatus">The status when no node answers or there is no leader; <see cref="HealthStatus.Unhealthy"/> when null.</param>
    /// <param name="tags">Tags to filter checks by (e.g. <c>ready</c>).</param>
    /// <param name="timeout">How long the check may take; the health service's default when null.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddCohort(this IHealthChecksBuilder builder, string name = "cohort", HealthStatus? failureStatus = null, IEnumerable<string>? tags = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HealthCheckRegistration(
            name,
            static provider => new CohortHealthCheck(provider.GetRequiredService<ICohortClient>()),
            failureStatus,
            tags,
            timeout));
    }
}
