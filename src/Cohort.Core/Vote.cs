namespace Cohort.Core;

/// <summary>The outcome of prepare, as a value (not an exception).</summary>
public readonly record struct Vote
{
    private Vote(VoteKind kind, HlcTimestamp prepareTimestamp, string? reason)
    {
        Kind = kind;
        PrepareTimestamp = prepareTimestamp;
        Reason = reason;
    }

    /// <summary>The vote.</summary>
    public VoteKind Kind { get; }

    /// <summary>
    /// For <see cref="VoteKind.Yes"/> and <see cref="VoteKind.ReadOnly"/>: the participant's clock when it voted, later
    /// than every version the transaction read or wrote there. The commit timestamp must be at or after it, read-only
    /// votes included: otherwise a snapshot could show the transaction's writes without a version it read.
    /// </summary>
    public HlcTimestamp PrepareTimestamp { get; }

    /// <summary>For <see cref="VoteKind.No"/>: why.</summary>
    public string? Reason { get; }

    /// <summary>Whether the vote forbids commit.</summary>
    public bool IsNo => Kind == VoteKind.No;

    /// <summary>A durable yes.</summary>
    public static Vote Yes(HlcTimestamp prepareTimestamp) => new(VoteKind.Yes, prepareTimestamp, null);

    /// <summary>Nothing written here; <paramref name="readTimestamp"/> is the participant's clock when it voted.</summary>
    public static Vote ReadOnly(HlcTimestamp readTimestamp) => new(VoteKind.ReadOnly, readTimestamp, null);

    /// <summary>A refusal with its reason.</summary>
    public static Vote No(string reason) => new(VoteKind.No, default, reason);

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        VoteKind.Yes => $"Yes({PrepareTimestamp})",
        VoteKind.ReadOnly => $"ReadOnly({PrepareTimestamp})",
        _ => $"No({Reason})",
    };
}
