using Cohort.Coordination;
using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Transport;

/// <summary>
/// A participant's way to learn the decision on a transaction it holds prepared: it asks the coordinator recorded at
/// prepare (which may be this node, or a former master whose decision log only it has), else the current master.
/// </summary>
/// <remarks>
/// With a shared decision log (<paramref name="sharedDecisions"/>, the etcd backend) a coordinator's word is not the
/// last: a former master that is gone for good, or alive but deposed, cannot finish what it began, and cannot record
/// a decision any more either (its writes are fenced). So the current master is asked: it answers its own transactions
/// from memory and settles everyone else's in the shared log (the recorded decision, or an abort it records).
/// </remarks>
internal sealed class ClusterDecisionSource(
    string self,
    NodeClient client,
    Func<Coordinator?> local,
    Func<string?> master,
    bool sharedDecisions = false) : IDecisionSource
{
    public async ValueTask<DecisionAnswer> QueryDecisionAsync(string? coordinator, TxId txId, CancellationToken cancellationToken)
    {
        if (coordinator == CoordinatorNames.SeedClient)
        {
            // The seed client that called /prepare decides, through /commit or /abort.
            return DecisionAnswer.Pending;
        }

        if (!sharedDecisions)
        {
            var node = coordinator ?? master() ?? throw NoMaster();
            return await AskAsync(node, txId, cancellationToken).ConfigureAwait(false);
        }

        // Only the leader can settle what its predecessors left (and it answers its own transactions from memory); the
        // recorded coordinator is asked only while no leader is known.
        var leader = master() ?? coordinator ?? throw NoMaster();
        return await AskAsync(leader, txId, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<DecisionAnswer> AskAsync(string node, TxId txId, CancellationToken cancellationToken)
    {
        if (node == self)
        {
            var here = local() ?? throw new CohortException(ErrorCodes.Unavailable, "The coordinator is not open yet.", isTransient: true);
            return await here.QueryDecisionAsync(txId, cancellationToken).ConfigureAwait(false);
        }

        var answer = await client.GetAsync(node, $"internal/decision/{txId}", cancellationToken).ConfigureAwait(false);
        return WireFormat.ReadDecision(answer);
    }

    private static CohortException NoMaster() => new(ErrorCodes.Unavailable, "No master is known.", isTransient: true);
}
