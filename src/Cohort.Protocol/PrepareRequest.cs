using Cohort.Core;

namespace Cohort.Protocol;

/// <summary>Phase one for one resource. Idempotent: a repeated prepare returns the same vote.</summary>
/// <param name="TxId">The transaction.</param>
/// <param name="Epoch">The sender's epoch; refused when older than the newest the participant has seen.</param>
/// <param name="Deadline">The transaction's deadline; past it a prepared participant asks <paramref name="Coordinator"/> for the decision.</param>
/// <param name="Resource">The resource.</param>
/// <param name="Coordinator">Where to ask for the decision (kept with the prepare record).</param>
/// <param name="OperationCount">How many operations the coordinator sent this resource; a participant that ran a different number votes No.</param>
/// <param name="KeepReadLocks">Another participant may write: a read-only vote keeps its locks until the outcome arrives (<see cref="PrepareInfo.KeepReadLocks"/>).</param>
/// <param name="Term">The resource's configuration term as the sender knows it (<c>ResourceConfiguration.Term</c>), 0 when
/// it is not replicated: the primary of a replicated resource refuses another term (<c>configuration_moved</c>).</param>
public sealed record PrepareRequest(TxId TxId, long Epoch, DateTimeOffset Deadline, string Resource, string? Coordinator, int OperationCount, bool KeepReadLocks = false, long Term = 0);
