using Cohort.Storage.IO;
using Cohort.Storage.Wal;

namespace Cohort.Coordination;

/// <summary>Settings of a <see cref="FileDecisionLog"/>.</summary>
public sealed class FileDecisionLogOptions
{
    /// <summary>Default number of records after which the log is compacted: 50 000.</summary>
    public const int DefaultCompactAfterRecords = 50_000;

    /// <summary>Default segment size: 16 MiB.</summary>
    public const long DefaultSegmentBytes = 16L * 1024 * 1024;

    /// <summary>The log's directory (the leader's data directory, e.g. <c>data/decisions</c>); created when missing.</summary>
    public required string Directory { get; init; }

    /// <summary>When a decision counts as written; <see cref="DurabilityMode.None"/> is for benchmarks only.</summary>
    public DurabilityMode Durability { get; init; } = DurabilityMode.Fsync;

    /// <summary>Records appended after which a snapshot of the unfinished decisions replaces the older segments.</summary>
    public int CompactAfterRecords { get; init; } = DefaultCompactAfterRecords;

    /// <summary>Segment size threshold in bytes.</summary>
    public long SegmentBytes { get; init; } = DefaultSegmentBytes;

    /// <summary>The file system holding the log: the operating system's unless simulated.</summary>
    public FileSystem FileSystem { get; init; } = FileSystem.Real;

    /// <summary>
    /// Called when the log fails (a write or fsync error): it accepts no more decisions, and whether the last ones are
    /// on disk is unknown. A node stops at once (fail-stop) so that a restart recovers from the disk.
    /// </summary>
    public Action<Exception>? OnStorageFailure { get; init; }

    /// <summary>Checks the settings; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(CompactAfterRecords, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(SegmentBytes, 4096);
        ArgumentNullException.ThrowIfNull(FileSystem);
    }
}
