namespace Cohort.Protocol;

/// <summary>Where a transaction is in its life at the coordinator (the <c>state</c> of <c>GET /v1/tx/{id}</c>).</summary>
public enum TransactionState : byte
{
    /// <summary>A state this side does not know (a newer node sent it).</summary>
    Unknown = 0,

    /// <summary>Taking operations.</summary>
    Active = 1,

    /// <summary>Commit started: votes are being collected (or a single writer is committing).</summary>
    Preparing = 2,

    /// <summary>The commit decision is durable; phase two is delivering it to the participants.</summary>
    Committing = 3,

    /// <summary>Committed, and (for two-phase commits) every participant has acknowledged it.</summary>
    Committed = 4,

    /// <summary>Aborted.</summary>
    Aborted = 5,

    /// <summary>The outcome is not known here (a lost reply or a decision-log failure); a later query or recovery resolves it.</summary>
    InDoubt = 6,
}
