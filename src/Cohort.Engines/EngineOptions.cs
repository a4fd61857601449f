using Cohort.Storage.IO;
using Cohort.Storage.Wal;

namespace Cohort.Engines;

/// <summary>Settings shared by the embedded engines.</summary>
public sealed class EngineOptions
{
    /// <summary>Default retention window for <c>as_of</c> reads: 5 minutes.</summary>
    public static readonly TimeSpan DefaultRetention = TimeSpan.FromMinutes(5);

    /// <summary>Default log volume after which a snapshot is taken: 64 MiB.</summary>
    public const long DefaultSnapshotThresholdBytes = 64L * 1024 * 1024;

    /// <summary>Default period of the maintenance pass (expired transactions, garbage collection): 1 second.</summary>
    public static readonly TimeSpan DefaultMaintenanceInterval = TimeSpan.FromSeconds(1);

    /// <summary>The engine's own directory (log segments and snapshots); created when missing.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>When log appends count as written. <see cref="DurabilityMode.None"/> is for benchmarks only.</summary>
    public DurabilityMode Durability { get; init; } = DurabilityMode.Fsync;

    /// <summary>How far back <c>as_of</c> reads may go; older versions are collected.</summary>
    public TimeSpan Retention { get; init; } = DefaultRetention;

    /// <summary>Log bytes after which a snapshot is written and older segments deleted.</summary>
    public long SnapshotThresholdBytes { get; init; } = DefaultSnapshotThresholdBytes;

    /// <summary>Log segment size.</summary>
    public long SegmentBytes { get; init; } = WalOptions.DefaultSegmentBytes;

    /// <summary>Period of the maintenance pass; <see cref="Timeout.InfiniteTimeSpan"/> disables it (tests drive it by hand).</summary>
    public TimeSpan MaintenanceInterval { get; init; } = DefaultMaintenanceInterval;

    /// <summary>The clock used for deadlines, timestamps and timers.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The file system holding the log and the snapshots: the operating system's unless simulated.</summary>
    public FileSystem FileSystem { get; init; } = FileSystem.Real;

    /// <summary>
    /// Called when the engine's log fails (a write or fsync error): from then on it refuses every write, and what it
    /// had not synced is unknown. A node stops at once (fail-stop) so that a restart recovers from the disk; null
    /// leaves the engine up, refusing writes.
    /// </summary>
    public Action<Exception>? OnStorageFailure { get; init; }

    /// <summary>Checks the settings; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(DataDirectory);
        ArgumentOutOfRangeException.ThrowIfLessThan(Retention, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(SnapshotThresholdBytes, 4096);
        ArgumentOutOfRangeException.ThrowIfLessThan(SegmentBytes, 4096);
        ArgumentNullException.ThrowIfNull(TimeProvider);
        ArgumentNullException.ThrowIfNull(FileSystem);
    }
}
