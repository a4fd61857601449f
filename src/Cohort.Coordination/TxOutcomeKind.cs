namespace Cohort.Coordination;

/// <summary>What a client is told about a transaction it asked to commit.</summary>
public enum TxOutcomeKind : byte
{
    /// <summary>The commit decision is durable (or a single writer committed); every participant will apply it.</summary>
    Committed = 1,

    /// <summary>The transaction can never commit; no participant keeps any of its writes.</summary>
    Aborted = 2,

    /// <summary>The outcome is not known yet; query the transaction later. Never to be read as aborted.</summary>
    InDoubt = 3,
}
