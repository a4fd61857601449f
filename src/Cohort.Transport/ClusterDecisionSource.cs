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
/// last: a former master that is gone for good, or alive but deposed, cannot finish what it began. Then the recorded
/// coordinator is asked only while it is an alive member, and whatever it cannot answer (pending, unreachable) goes to
/// the current master, which settles it in the shared log.
/// </remarks>
internal sealed class ClusterDecisionSource(
    string self,
    NodeClient client,
    Func<Coordinator?> local,
    Func<string?> master,
    bool sharedDecisions = false,
    Func<string, bool>? isAlive = null) : IDecisionSource
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

        var leader = master();
        if (coordinator is not null && coordinator != leader && (isAlive?.Invoke(coordinator) ?? true))
        {
            try
            {
                var answer = await AskAsync(coordinator, txId, cancellationToken).ConfigureAwait(false);
                if (answer.Kind != DecisionAnswerKind.Pending || leader is null)
                {
                    return answer;
                }
            }
            catch (Exception e) when (Delivery.Failed(e) && leader is not null && !cancellationToken.IsCancellationRequested)
            {
                // Gone or deposed: the leader settles it.
            }
        }

        return await AskAsync(leader ?? throw NoMaster(), txId, cancellationToken).ConfigureAwait(false);
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
