using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Coordination;

/// <summary>Answers decision queries from a coordinator in the same process (the current one, after restarts).</summary>
/// <param name="current">Returns the running coordinator, or null while there is none.</param>
public sealed class CoordinatorDecisionSource(Func<Coordinator?> current) : IDecisionSource
{
    /// <inheritdoc/>
    public ValueTask<DecisionAnswer> QueryDecisionAsync(string? coordinator, TxId txId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var running = current() ?? throw new CohortException(ErrorCodes.Unavailable, "No coordinator is running.", isTransient: true);
        return running.QueryDecisionAsync(txId, cancellationToken);
    }
}
