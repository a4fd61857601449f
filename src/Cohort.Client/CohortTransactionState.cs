namespace Cohort.Client;

/// <summary>Where a transaction stands at the coordinator.</summary>
public enum CohortTransactionState
{
    /// <summary>A state this client does not know (a newer server).</summary>
    Unknown,

    /// <summary>Taking operations.</summary>
    Active,

    /// <summary>Commit started; votes are being collected.</summary>
    Preparing,

    /// <summary>Commit decided and durable; participants are applying it.</summary>
    Committing,

    /// <summary>Committed everywhere.</summary>
    Committed,

    /// <summary>Aborted; nothing of it is visible.</summary>
    Aborted,

    /// <summary>The outcome is not known yet; the cluster settles it.</summary>
    InDoubt,
}
