namespace Cohort.Core;

/// <summary>The outcome of prepare, as a value (not an exception).</summary>
public readonly record struct Vote
{
    private Vote(VoteKind kind, HlcTimestamp prepareTimestamp, string? reason, bool holdsLocks = false)
    {
        Kind = kind;
        PrepareTimestamp = prepareTimestamp;
        Reason = reason;
        HoldsLocks = holdsLocks;
    }

    /// <summary>The vote.</summary>
    public VoteKind Kind { get; }

    /// <summary>
    /// For <see cref="VoteKind.Yes"/> and <see cref="VoteKind.ReadOnly"/>: the participant's clock when it voted, later
    /// than every version the transaction read or wrote there. The commit timestamp must be at or after it, read-only
    /// votes included: otherwise a snapshot could show the transaction's writes without a version it read.
    /// </summary>
    public HlcTimestamp PrepareTimestamp { get; }

    /// <summary>
    /// For <see cref="VoteKind.ReadOnly"/>: the participant kept its shared locks (<see cref="PrepareInfo.KeepReadLocks"/>)
    /// and waits for the commit timestamp or an abort to release them. False when it released them at the vote.
    /// </summary>
    public bool HoldsLocks { get; }

    /// <summary>For <see cref="VoteKind.No"/>: why.</summary>
    public string? Reason { get; }

    /// <summary>Whether the vote forbids commit.</summary>
    public bool IsNo => Kind == VoteKind.No;

    /// <summary>A durable yes.</summary>
    public static Vote Yes(HlcTimestamp prepareTimestamp) => new(VoteKind.Yes, prepareTimestamp, null);

    /// <summary>Nothing written here; <paramref name="readTimestamp"/> is the participant's clock when it voted.</summary>
    /// <param name="readTimestamp">The participant's clock when it voted.</param>
    /// <param name="holdsLocks">Whether it kept its shared locks until the outcome arrives.</param>
    public static Vote ReadOnly(HlcTimestamp readTimestamp, bool holdsLocks = false) => new(VoteKind.ReadOnly, readTimestamp, null, holdsLocks);

    /// <summary>A refusal with its reason.</summary>
    public static Vote No(string reason) => new(VoteKind.No, default, reason);

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        VoteKind.Yes => $"Yes({PrepareTimestamp})",
        VoteKind.ReadOnly => HoldsLocks ? $"ReadOnly({PrepareTimestamp}, holding)" : $"ReadOnly({PrepareTimestamp})",
        _ => $"No({Reason})",
    };
}
