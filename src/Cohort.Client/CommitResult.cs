using Cohort.Core;

namespace Cohort.Client;

/// <summary>A committed transaction.</summary>
/// <param name="TxId">The transaction id.</param>
/// <param name="CommitTimestamp">The commit timestamp (zero when a single participant chose it on its own).</param>
public readonly record struct CommitResult(TxId TxId, HlcTimestamp CommitTimestamp);
