using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Coordination;

/// <summary>
/// A decision log that every node of the cluster reads and writes (the etcd backend), rather than one on the master's
/// own disk: a new leader finds its predecessors' decisions in it, and a transaction whose coordinator is gone or in
/// doubt is settled in it — commit if a decision was recorded, else an abort the leader records, fenced by its epoch so
/// that no deposed coordinator can record a commit afterwards.
/// </summary>
public interface ISharedDecisionLog : IDecisionLog
{
    /// <summary>What the log holds for <paramref name="txId"/>: committed, aborted (a recorded abort), or pending (nothing).</summary>
    /// <exception cref="CohortException"><c>unavailable</c> when the log cannot be read now.</exception>
    ValueTask<DecisionAnswer> ReadAsync(TxId txId, CancellationToken cancellationToken);

    /// <summary>
    /// Settles <paramref name="txId"/> for good: when the log holds a decision, that one; otherwise records an abort, only
    /// while the leadership is still this node's at <paramref name="epoch"/>, and answers aborted.
    /// </summary>
    /// <exception cref="CohortException"><c>no_leader</c> when this node does not lead at that epoch (nothing was written); <c>unavailable</c> when the log did not answer.</exception>
    ValueTask<DecisionAnswer> SettleAsync(TxId txId, long epoch, CancellationToken cancellationToken);

    /// <summary>Reads every unfinished commit decision in the log again (all coordinators'), adding them to <see cref="IDecisionLog.GetUnfinished"/>.</summary>
    /// <exception cref="CohortException"><c>unavailable</c> when the log cannot be read now.</exception>
    ValueTask<IReadOnlyList<CommitDecision>> ReloadAsync(CancellationToken cancellationToken);
}
