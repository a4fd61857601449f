namespace Cohort.Engines;

/// <summary>Where a transaction is in its life at one participant.</summary>
internal enum TxState : byte
{
    /// <summary>Taking operations.</summary>
    Active,

    /// <summary>The prepare record is appended but not yet durable.</summary>
    Preparing,

    /// <summary>Durably prepared; waits for the decision.</summary>
    Prepared,

    /// <summary>
    /// Voted read-only but keeps its shared locks (marked prepared, never wounded) until the outcome arrives, because
    /// another participant writes (<see cref="Core.PrepareInfo.KeepReadLocks"/>). Its shared locks are logged before the
    /// vote, so a restart brings it back holding them until the outcome arrives.
    /// </summary>
    ReadOnlyPrepared,

    /// <summary>The commit record is appended; versions are installed once it is durable.</summary>
    Committing,

    /// <summary>Committed.</summary>
    Committed,

    /// <summary>Aborted (by request, wound, deadline or a No vote).</summary>
    Aborted,
}
