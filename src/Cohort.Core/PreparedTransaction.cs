namespace Cohort.Core;

/// <summary>A transaction a participant holds prepared (durably) but has no decision for yet.</summary>
/// <param name="Id">The transaction.</param>
/// <param name="PrepareTimestamp">The timestamp it voted with.</param>
/// <param name="Coordinator">The coordinator that drove the prepare (to ask for the decision), if known.</param>
public readonly record struct PreparedTransaction(TxId Id, HlcTimestamp PrepareTimestamp, string? Coordinator);
