namespace Cohort.Coordination;

/// <summary>Settings of a <see cref="ParticipantHost"/>.</summary>
public sealed class ParticipantHostOptions
{
    /// <summary>Default period of the termination sweep: 1 second.</summary>
    public static readonly TimeSpan DefaultTerminationInterval = TimeSpan.FromSeconds(1);

    /// <summary>Default attempts to learn one decision per sweep: 3.</summary>
    public const int DefaultTerminationAttempts = 3;

    /// <summary>Default first delay between attempts: 50 ms (doubling).</summary>
    public static readonly TimeSpan DefaultTerminationDelay = TimeSpan.FromMilliseconds(50);

    /// <summary>Default time one decision query may take: 5 seconds.</summary>
    public static readonly TimeSpan DefaultQueryTimeout = TimeSpan.FromSeconds(5);

    /// <summary>This node's id.</summary>
    public required string NodeId { get; init; }

    /// <summary>Period of the sweep that resolves prepared transactions past their deadline; <see cref="Timeout.InfiniteTimeSpan"/> disables it.</summary>
    public TimeSpan TerminationInterval { get; init; } = DefaultTerminationInterval;

    /// <summary>Attempts to learn one decision per sweep before leaving it to the next sweep.</summary>
    public int TerminationAttempts { get; init; } = DefaultTerminationAttempts;

    /// <summary>First delay between attempts; doubles after each.</summary>
    public TimeSpan TerminationDelay { get; init; } = DefaultTerminationDelay;

    /// <summary>How long one decision query may take.</summary>
    public TimeSpan QueryTimeout { get; init; } = DefaultQueryTimeout;

    /// <summary>Checks the settings; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(NodeId);
        ArgumentOutOfRangeException.ThrowIfLessThan(TerminationAttempts, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(TerminationDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(QueryTimeout, TimeSpan.Zero);
    }
}
