namespace Cohort.Core;

/// <summary>What a participant knows of a transaction when it receives an operation.</summary>
/// <param name="Id">The transaction id; its age decides wound-wait conflicts.</param>
/// <param name="Deadline">After this instant the transaction's lock waits fail and it may be aborted.</param>
public readonly record struct TransactionContext(TxId Id, DateTimeOffset Deadline);
