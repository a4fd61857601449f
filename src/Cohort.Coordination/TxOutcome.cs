using Cohort.Core;

namespace Cohort.Coordination;

/// <summary>The outcome of commit, abort or a one-shot batch, as a value (converted to an HTTP status at the API edge).</summary>
public readonly record struct TxOutcome
{
    private TxOutcome(TxOutcomeKind kind, HlcTimestamp commitTimestamp, string? reason)
    {
        Kind = kind;
        CommitTimestamp = commitTimestamp;
        Reason = reason;
    }

    /// <summary>Committed, aborted or in doubt.</summary>
    public TxOutcomeKind Kind { get; }

    /// <summary>For a two-phase commit: the decided commit timestamp (zero when a participant chose it).</summary>
    public HlcTimestamp CommitTimestamp { get; }

    /// <summary>Why the transaction aborted, or why its outcome is in doubt.</summary>
    public string? Reason { get; }

    /// <summary>Whether the transaction committed.</summary>
    public bool IsCommitted => Kind == TxOutcomeKind.Committed;

    /// <summary>Whether the transaction can never commit (an in-doubt outcome is not).</summary>
    public bool IsDefinitelyAborted => Kind == TxOutcomeKind.Aborted;

    /// <summary>Whether the outcome is not known yet.</summary>
    public bool IsInDoubt => Kind == TxOutcomeKind.InDoubt;

    /// <summary>The wire name: <c>committed</c>, <c>aborted</c> or <c>in-doubt</c>.</summary>
    public string StatusName => Kind switch
    {
        TxOutcomeKind.Committed => "committed",
        TxOutcomeKind.Aborted => "aborted",
        _ => "in-doubt",
    };

    /// <summary>A committed outcome.</summary>
    public static TxOutcome Committed(HlcTimestamp commitTimestamp = default) => new(TxOutcomeKind.Committed, commitTimestamp, null);

    /// <summary>An aborted outcome with its reason.</summary>
    public static TxOutcome Aborted(string reason) => new(TxOutcomeKind.Aborted, default, reason);

    /// <summary>An outcome not known yet, with what made it unknown.</summary>
    public static TxOutcome InDoubt(string reason) => new(TxOutcomeKind.InDoubt, default, reason);

    /// <inheritdoc/>
    public override string ToString() => Reason is null ? StatusName : $"{StatusName} ({Reason})";
}
