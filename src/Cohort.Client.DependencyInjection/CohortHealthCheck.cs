using Cohort.Core;
using Cohort.Protocol;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Cohort.Client;

/// <summary>
/// The health of a Cohort cluster as an application sees it: <see cref="HealthStatus.Healthy"/> when a node answers and
/// names a leader and no transaction is in doubt; <see cref="HealthStatus.Degraded"/> when transactions are in doubt (the
/// cluster settles them; an operator may want to look: <c>cohort tx list --state in-doubt</c>); the registration's
/// failure status when no node answers or none knows a leader. The data carries <c>leader</c> and <c>in_doubt</c>.
/// </summary>
/// <param name="client">The client to ask with.</param>
public sealed class CohortHealthCheck(ICohortClient client) : IHealthCheck
{
    /// <summary>The most in-doubt transactions counted (one page); more shows as this many and <c>in_doubt_more</c>.</summary>
    public const int InDoubtPage = 1000;

    /// <inheritdoc/>
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var failure = context.Registration.FailureStatus;
        string? leader;
        try
        {
            var nodes = await client.SendAsync(HttpMethod.Get, "cluster/nodes", null, idempotent: true, cancellationToken).ConfigureAwait(false);
            leader = WireFields.OptStr(nodes, "master_addr");
        }
        catch (CohortClientException e)
        {
            return new HealthCheckResult(failure, $"No Cohort node answered: {e.Message}", e);
        }

        if (leader is null)
        {
            return new HealthCheckResult(failure, "The Cohort cluster has no leader: transactions cannot begin or commit.", data: new Dictionary<string, object> { ["in_doubt"] = 0 });
        }

        TransactionPage inDoubt;
        try
        {
            inDoubt = await client.ListTransactionPageAsync(TransactionState.InDoubt, InDoubtPage, null, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (CohortClientException e)
        {
            return new HealthCheckResult(failure, $"The Cohort leader {leader} did not list its transactions: {e.Message}", e, new Dictionary<string, object> { ["leader"] = leader });
        }

        var data = new Dictionary<string, object>
        {
            ["leader"] = leader,
            ["in_doubt"] = inDoubt.Transactions.Count,
            ["in_doubt_more"] = inDoubt.Next is not null,
        };
        return inDoubt.Transactions.Count == 0
            ? HealthCheckResult.Healthy($"Leader {leader}; no transaction in doubt.", data)
            : HealthCheckResult.Degraded($"Leader {leader}; {inDoubt.Transactions.Count}{(inDoubt.Next is null ? string.Empty : "+")} transaction(s) in doubt (the cluster settles them; see cohort tx list --state in-doubt).", data: data);
    }
}
