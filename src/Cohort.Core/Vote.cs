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

    /// <summary>For <see cref="VoteKind.Yes"/>: the commit timestamp must be at or after this.</summary>
    public HlcTimestamp PrepareTimestamp { get; }

    /// <summary>For <see cref="VoteKind.No"/>: why.</summary>
    public string? Reason { get; }

    /// <summary>Whether the vote forbids commit.</summary>
    public bool IsNo => Kind == VoteKind.No;

    /// <summary>A durable yes.</summary>
    public static Vote Yes(HlcTimestamp prepareTimestamp) => new(VoteKind.Yes, prepareTimestamp, null);

    /// <summary>Nothing written here.</summary>
    public static Vote ReadOnly() => new(VoteKind.ReadOnly, default, null);

    /// <summary>A refusal with its reason.</summary>
    public static Vote No(string reason) => new(VoteKind.No, default, reason);

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        VoteKind.Yes => $"Yes({PrepareTimestamp})",
        VoteKind.ReadOnly => "ReadOnly",
        _ => $"No({Reason})",
    };
}
