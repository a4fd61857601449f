namespace Cohort.Core;

/// <summary>A transaction a participant holds prepared but has no decision for yet.</summary>
/// <param name="Id">The transaction.</param>
/// <param name="PrepareTimestamp">The timestamp it voted with.</param>
/// <param name="Coordinator">The coordinator that drove the prepare (to ask for the decision), if known.</param>
/// <param name="ReadOnly">
/// It voted read-only and keeps its shared locks until the outcome arrives (<see cref="PrepareInfo.KeepReadLocks"/>);
/// embedded engines log those locks, so it survives a restart still holding them.
/// </param>
public readonly record struct PreparedTransaction(TxId Id, HlcTimestamp PrepareTimestamp, string? Coordinator, bool ReadOnly = false);
