using Cohort.Coordination;
using Cohort.Protocol;

namespace Cohort.Simulation.Cluster;

/// <summary>
/// A coordinator's view of the decisions in <see cref="SimMetadata"/>: what the etcd decision log does, over the
/// simulated network (fenced writes, settling with a fenced abort, reload of every unfinished decision by a new leader).
/// </summary>
internal sealed class SimSharedDecisionLog(SimCluster cluster, string holder) : ISharedDecisionLog
{
    private readonly SortedDictionary<TxId, CommitDecision> _unfinished = [];

    public async ValueTask WriteCommitAsync(CommitDecision decision, CancellationToken cancellationToken)
    {
        if (!await cluster.Net.CallEtcdAsync(holder, () => cluster.Metadata.WriteCommit(decision), CancellationToken.None).ConfigureAwait(false))
        {
            throw new CohortException(ErrorCodes.NoLeader, $"{holder} no longer leads at epoch {decision.Epoch}: the decision of {decision.TxId} was not recorded.", isTransient: true);
        }

        _unfinished[decision.TxId] = decision;
    }

    public void WriteEnd(TxId txId)
    {
        if (_unfinished.Remove(txId))
        {
            _ = EndAsync(txId);
        }
    }

    public IReadOnlyList<CommitDecision> GetUnfinished() => [.. _unfinished.Values];

    public async ValueTask<DecisionAnswer> ReadAsync(TxId txId, CancellationToken cancellationToken) =>
        await cluster.Net.CallEtcdAsync(holder, () => cluster.Metadata.Read(txId), cancellationToken).ConfigureAwait(false);

    public async ValueTask<DecisionAnswer> SettleAsync(TxId txId, long epoch, CancellationToken cancellationToken) =>
        await cluster.Net.CallEtcdAsync(holder, () => cluster.Metadata.Settle(txId, epoch), cancellationToken).ConfigureAwait(false)
            ?? throw new CohortException(ErrorCodes.NoLeader, $"{holder} does not lead at epoch {epoch}; it cannot settle {txId}.", isTransient: true);

    public async ValueTask<IReadOnlyList<CommitDecision>> ReloadAsync(CancellationToken cancellationToken)
    {
        var all = await cluster.Net.CallEtcdAsync(holder, cluster.Metadata.Unfinished, cancellationToken).ConfigureAwait(false);
        foreach (var decision in all)
        {
            _unfinished[decision.TxId] = decision;
        }

        return all;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task EndAsync(TxId txId)
    {
        try
        {
            await cluster.Net.CallEtcdAsync(holder, () => { cluster.Metadata.WriteEnd(txId); return true; }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or TimeoutException or OperationCanceledException)
        {
            // A lost END only makes a later leader repeat phase two, which is idempotent.
        }
    }
}
