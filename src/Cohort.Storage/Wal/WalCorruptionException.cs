using Cohort.Core;

namespace Cohort.Storage.Wal;

/// <summary>A log record before the tail failed its checksum: start-up stops rather than lose acknowledged data.</summary>
public sealed class WalCorruptionException : CohortException
{
    /// <summary>Creates the exception for a bad record at <paramref name="offset"/> of <paramref name="file"/>.</summary>
    public WalCorruptionException(string file, long offset, string reason)
        : base(
            ErrorCodes.Corruption,
            $"Write-ahead log is corrupt in '{file}' at offset {offset}: {reason}. Valid records follow it, so this is not a torn tail; "
            + "refusing to start rather than drop acknowledged data. Restore the data directory from a backup, or truncate the file at this offset to accept the loss.",
            isTransient: false)
    {
        File = file;
        Offset = offset;
    }

    /// <summary>The segment file holding the bad record.</summary>
    public string File { get; }

    /// <summary>The byte offset of the bad record in <see cref="File"/>.</summary>
    public long Offset { get; }
}
