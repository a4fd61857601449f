using Cohort.Core;

namespace Cohort.Protocol;

/// <summary>Commits a transaction whose only writer is this resource, without prepare. Idempotent once committed.</summary>
/// <param name="TxId">The transaction.</param>
/// <param name="Epoch">The sender's epoch; refused when stale.</param>
/// <param name="Resource">The resource.</param>
/// <param name="CommitTimestamp">The lowest acceptable commit timestamp.</param>
/// <param name="OperationCount">How many operations the coordinator sent this resource; a participant that ran a different number refuses.</param>
/// <param name="Term">The resource's configuration term as the sender knows it (<c>ResourceConfiguration.Term</c>), 0 when
/// it is not replicated: the primary of a replicated resource refuses another term (<c>configuration_moved</c>).</param>
public sealed record OnePhaseCommitRequest(TxId TxId, long Epoch, string Resource, HlcTimestamp CommitTimestamp, int OperationCount, long Term = 0);
