using Cohort.Core;

namespace Cohort.Client;

/// <summary>A committed transaction.</summary>
/// <param name="TxId">The transaction id.</param>
/// <param name="CommitTimestamp">
/// The commit timestamp: a snapshot <c>as_of</c> it sees the transaction's writes (read your writes). For a transaction
/// that wrote nothing, the time it read at.
/// </param>
public readonly record struct CommitResult(TxId TxId, HlcTimestamp CommitTimestamp);
