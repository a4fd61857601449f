using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Coordination;

/// <summary>The outcome of commit, abort or a one-shot batch, as a value (converted to an HTTP status at the API edge).</summary>
public readonly record struct TxOutcome
{
    private TxOutcome(TxOutcomeKind kind, HlcTimestamp commitTimestamp, string? reason, string? code)
    {
        Kind = kind;
        CommitTimestamp = commitTimestamp;
        Reason = reason;
        Code = code;
    }

    /// <summary>Committed, aborted or in doubt.</summary>
    public TxOutcomeKind Kind { get; }

    /// <summary>
    /// For a commit: its timestamp — the durable decision's, the single writer's (one-phase), or for a transaction that
    /// wrote nothing the time it read at. A snapshot <c>as_of</c> it sees the transaction's writes and everything it read.
    /// </summary>
    public HlcTimestamp CommitTimestamp { get; }

    /// <summary>Why the transaction aborted, or why its outcome is in doubt.</summary>
    public string? Reason { get; }

    /// <summary>
    /// For an abort, a stable error code for the API edge: <c>expired</c> (the deadline passed), <c>unavailable</c>
    /// (a participant did not answer), a participant's own code (<c>wounded</c>, <c>insufficient_funds</c>, …) when it
    /// gave one, else <c>aborted</c>. Null otherwise.
    /// </summary>
    public string? Code { get; }

    /// <summary>Whether the transaction committed.</summary>
    public bool IsCommitted => Kind == TxOutcomeKind.Committed;

    /// <summary>Whether the transaction can never commit (an in-doubt outcome is not).</summary>
    public bool IsDefinitelyAborted => Kind == TxOutcomeKind.Aborted;

    /// <summary>Whether the outcome is not known yet.</summary>
    public bool IsInDoubt => Kind == TxOutcomeKind.InDoubt;

    /// <summary>The transaction state the outcome leaves: committed, aborted or in doubt.</summary>
    public TransactionState State => Kind switch
    {
        TxOutcomeKind.Committed => TransactionState.Committed,
        TxOutcomeKind.Aborted => TransactionState.Aborted,
        _ => TransactionState.InDoubt,
    };

    /// <summary>The wire name: <c>committed</c>, <c>aborted</c> or <c>in-doubt</c>.</summary>
    public string StatusName => State.ToWireName();

    /// <summary>A committed outcome.</summary>
    public static TxOutcome Committed(HlcTimestamp commitTimestamp) => new(TxOutcomeKind.Committed, commitTimestamp, null, null);

    /// <summary>An aborted outcome with its reason and code (<see cref="ErrorCodes.Aborted"/> unless more is known).</summary>
    public static TxOutcome Aborted(string reason, string code = ErrorCodes.Aborted) => new(TxOutcomeKind.Aborted, default, reason, code);

    /// <summary>An outcome not known yet, with what made it unknown.</summary>
    public static TxOutcome InDoubt(string reason) => new(TxOutcomeKind.InDoubt, default, reason, null);

    /// <inheritdoc/>
    public override string ToString() => Reason is null ? StatusName : $"{StatusName} ({Reason})";
}
