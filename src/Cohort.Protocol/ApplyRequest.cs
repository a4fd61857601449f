using Cohort.Core;

namespace Cohort.Protocol;

/// <summary>Runs one operation of a transaction on a resource. A retry may run it twice; operations are not idempotent, so the coordinator never retries one.</summary>
/// <param name="TxId">The transaction.</param>
/// <param name="Epoch">The sender's epoch; refused when older than the newest the participant has seen.</param>
/// <param name="Deadline">The transaction's deadline (lock waits end there; the participant may abort it after).</param>
/// <param name="Resource">The resource, e.g. <c>kv:users</c>.</param>
/// <param name="Operation">The operation.</param>
/// <param name="Sequence">1 for the transaction's first operation on this resource, then 2, 3…: a duplicated or
/// stale message (or one arriving after a restart lost the earlier ones) is refused instead of run out of order.</param>
/// <param name="Term">The resource's configuration term as the sender knows it (<c>ResourceConfiguration.Term</c>), 0 when
/// it is not replicated: the primary of a replicated resource refuses another term (<c>configuration_moved</c>).</param>
public sealed record ApplyRequest(TxId TxId, long Epoch, DateTimeOffset Deadline, string Resource, Operation Operation, int Sequence, long Term = 0);
