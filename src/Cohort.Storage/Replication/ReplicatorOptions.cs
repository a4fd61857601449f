namespace Cohort.Storage.Replication;

/// <summary>Settings of a <see cref="Replicator"/>.</summary>
public sealed class ReplicatorOptions
{
    /// <summary>How long one shipment may take before it counts as a failed attempt: 2 seconds by default.</summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a replica may fail to answer (counted from its first failed attempt) before it is reported failed and
    /// must be taken out of the configuration: 3 seconds by default.
    /// </summary>
    public TimeSpan FailureTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long a shipment holding a snapshot (a reset or a checkpoint) may take: the whole state travels and is
    /// written; 60 seconds by default.
    /// </summary>
    public TimeSpan SnapshotSendTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a replica's link may stay idle before it probes the replica with an empty shipment (a replica that
    /// restarted meanwhile is found out and reported): 1 second by default.
    /// </summary>
    public TimeSpan IdleProbeInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long an acknowledgement from a replica lets the primary serve reads (its read lease, counted from when the
    /// acknowledged shipment was sent): 3 seconds by default. A replica promoted in the primary's place waits this long
    /// (and a tenth more) from the last shipment it took before it serves, so the two never serve at once; it must
    /// outlast <see cref="IdleProbeInterval"/> with room for an answer.
    /// </summary>
    public TimeSpan ReadLease { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long a promoted replica waits, from the last shipment it took from the old primary, before it serves:
    /// <see cref="ReadLease"/> and a tenth more, for clocks that run at slightly different rates.
    /// </summary>
    public TimeSpan PromotionWait => ReadLease + (ReadLease / 10);

    /// <summary>Pause between attempts to a replica that did not answer: 100 ms by default.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The most payload bytes in one shipment (a larger single entry goes alone): 4 MiB by default.</summary>
    public int MaxBatchBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>The clock of timeouts and retries.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Checks the settings; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(SendTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(SnapshotSendTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(FailureTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(IdleProbeInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ReadLease, IdleProbeInterval);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchBytes, 1024);
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
