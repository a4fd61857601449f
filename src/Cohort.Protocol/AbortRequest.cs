using Cohort.Core;

namespace Cohort.Protocol;

/// <summary>Aborts the transaction at a resource. Idempotent; unknown transactions are fine; never refused for its epoch.</summary>
/// <param name="TxId">The transaction.</param>
/// <param name="Epoch">The sender's epoch.</param>
/// <param name="Resource">The resource.</param>
/// <param name="Term">The resource's configuration term as the sender knows it (<c>ResourceConfiguration.Term</c>), 0 when
/// it is not replicated: the primary of a replicated resource refuses another term (<c>configuration_moved</c>).</param>
public sealed record AbortRequest(TxId TxId, long Epoch, string Resource, long Term = 0);
