using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Coordination;

/// <summary>How a participant asks a coordinator for the decision on a transaction it holds prepared (termination protocol).</summary>
public interface IDecisionSource
{
    /// <summary>
    /// Asks <paramref name="coordinator"/> (the address recorded at prepare; null for the current leader) how
    /// <paramref name="txId"/> ended. Throws when the coordinator cannot be reached.
    /// </summary>
    ValueTask<DecisionAnswer> QueryDecisionAsync(string? coordinator, TxId txId, CancellationToken cancellationToken);
}
