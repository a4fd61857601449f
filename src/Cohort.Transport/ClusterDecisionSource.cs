using Cohort.Coordination;
using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Transport;

/// <summary>
/// A participant's way to learn the decision on a transaction it holds prepared: it asks the coordinator recorded at
/// prepare (which may be this node, or a former master whose decision log only it has), else the current master.
/// </summary>
internal sealed class ClusterDecisionSource(string self, NodeClient client, Func<Coordinator?> local, Func<string?> master) : IDecisionSource
{
    public async ValueTask<DecisionAnswer> QueryDecisionAsync(string? coordinator, TxId txId, CancellationToken cancellationToken)
    {
        if (coordinator == CoordinatorNames.SeedClient)
        {
            // The seed client that called /prepare decides, through /commit or /abort.
            return DecisionAnswer.Pending;
        }

        var node = coordinator ?? master() ?? throw new CohortException(ErrorCodes.Unavailable, "No master is known.", isTransient: true);
        if (node == self)
        {
            var here = local() ?? throw new CohortException(ErrorCodes.Unavailable, "The coordinator is not open yet.", isTransient: true);
            return here.QueryDecision(txId);
        }

        var answer = await client.GetAsync(node, $"internal/decision/{txId}", cancellationToken).ConfigureAwait(false);
        return WireFormat.ReadDecision(answer);
    }
}
