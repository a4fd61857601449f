namespace Cohort.Core;

/// <summary>What the coordinator passes to prepare, kept with the prepare record for recovery.</summary>
/// <param name="Coordinator">Where to ask for the decision after a crash (an address or node id); may be null in-process.</param>
/// <param name="KeepReadLocks">
/// Another participant of the transaction may write. If this one wrote nothing it still votes
/// <see cref="VoteKind.ReadOnly"/>, but keeps its shared locks until the outcome reaches it
/// (<see cref="ITransactionalEngine.CommitAsync"/> with the commit timestamp, or
/// <see cref="ITransactionalEngine.AbortAsync"/>): released earlier, a writer here could commit below the transaction's
/// commit timestamp a value the transaction read the older version of, and a snapshot between the two would show the
/// writer without the transaction that must precede it. When false (nobody writes), locks are released at the vote.
/// </param>
public readonly record struct PrepareInfo(string? Coordinator, bool KeepReadLocks = false);
