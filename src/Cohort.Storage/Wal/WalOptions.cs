using Cohort.Storage.IO;

namespace Cohort.Storage.Wal;

/// <summary>Settings of a <see cref="WriteAheadLog"/>.</summary>
public sealed class WalOptions
{
    /// <summary>Default size at which a segment is closed and a new one started: 64 MiB.</summary>
    public const long DefaultSegmentBytes = 64L * 1024 * 1024;

    /// <summary>Largest single record accepted: 64 MiB.</summary>
    public const int MaxRecordBytes = 64 * 1024 * 1024;

    /// <summary>The directory holding the segment files; created when missing.</summary>
    public required string Directory { get; init; }

    /// <summary>When appends complete; <see cref="DurabilityMode.Fsync"/> unless benchmarking.</summary>
    public DurabilityMode Durability { get; init; } = DurabilityMode.Fsync;

    /// <summary>Segment size threshold in bytes.</summary>
    public long SegmentBytes { get; init; } = DefaultSegmentBytes;

    /// <summary>
    /// The longest a record appended with <see cref="WriteAheadLog.AppendDeferred"/> waits for another append's flush
    /// to carry it before the log flushes for it alone: 5 ms.
    /// </summary>
    public TimeSpan DeferredFlushDelay { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>The file system holding the segments: the operating system's unless simulated.</summary>
    public FileSystem FileSystem { get; init; } = FileSystem.Real;

    /// <summary>
    /// Called once, on the flusher, when a write or fsync fails and the log stops accepting writes. What was not
    /// synced is in an unknown state (fsyncgate), so a process that owns the log should stop (fail-stop) and let its
    /// restart recover from what the disk holds. Called before the pending appends fail; it must not throw (an
    /// exception from it is ignored).
    /// </summary>
    public Action<Exception>? OnFailure { get; init; }

    /// <summary>Checks the settings; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(SegmentBytes, 4096);
        ArgumentNullException.ThrowIfNull(FileSystem);
        ArgumentOutOfRangeException.ThrowIfLessThan(DeferredFlushDelay, TimeSpan.Zero);
        if (!Enum.IsDefined(Durability))
        {
            throw new ArgumentOutOfRangeException(nameof(Durability), Durability, "Unknown durability mode.");
        }
    }
}
