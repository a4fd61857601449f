using Cohort.Core;

namespace Cohort.Protocol;

/// <summary>
/// A one-shot transaction's operations on one resource followed by prepare (<c>/v1/batch</c>: one round trip
/// for operations and votes). When <see cref="CommitOnePhase"/> is set the resource is the only writer and commits
/// at once instead of preparing.
/// </summary>
/// <param name="TxId">The transaction.</param>
/// <param name="Epoch">The sender's epoch.</param>
/// <param name="Deadline">The transaction's deadline.</param>
/// <param name="Resource">The resource.</param>
/// <param name="Operations">The operations, in order.</param>
/// <param name="Coordinator">Where to ask for the decision.</param>
/// <param name="CommitOnePhase">Commit in one phase (the only participant) instead of preparing.</param>
/// <param name="KeepReadLocks">Another participant may write: a read-only vote keeps its locks until the outcome arrives (<see cref="PrepareInfo.KeepReadLocks"/>).</param>
/// <param name="Term">The resource's configuration term as the sender knows it (<c>ResourceConfiguration.Term</c>), 0 when
/// it is not replicated: the primary of a replicated resource refuses another term (<c>configuration_moved</c>).</param>
public sealed record BatchPrepareRequest(
    TxId TxId,
    long Epoch,
    DateTimeOffset Deadline,
    string Resource,
    IReadOnlyList<Operation> Operations,
    string? Coordinator,
    bool CommitOnePhase,
    bool KeepReadLocks = false,
    long Term = 0);
