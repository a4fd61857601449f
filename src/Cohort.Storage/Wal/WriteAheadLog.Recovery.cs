using System.Buffers.Binary;
using Cohort.Storage.IO;

namespace Cohort.Storage.Wal;

/// <content>Opening a log: replay of every record, torn-tail truncation, corruption detection.</content>
public sealed partial class WriteAheadLog
{
    /// <summary>
    /// Opens (or creates) the log in <see cref="WalOptions.Directory"/>, deletes segments below
    /// <paramref name="fromSegment"/> (covered by a snapshot), and hands every remaining record to
    /// <paramref name="replay"/> in order. A damaged record at the very end of the last segment is a
    /// torn write from a crash and is truncated away (reported through <paramref name="warn"/>); a damaged
    /// record anywhere else throws <see cref="WalCorruptionException"/> naming the file and offset.
    /// </summary>
    public static WriteAheadLog Open(WalOptions options, long fromSegment, Action<WalRecord> replay, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(replay);
        options.Validate();
        var fileSystem = options.FileSystem;
        fileSystem.CreateDirectory(options.Directory);

        var segments = ListSegments(fileSystem, options.Directory);
        foreach (var (index, path) in segments.Where(s => s.Index < fromSegment))
        {
            fileSystem.Delete(path);
        }

        segments.RemoveAll(s => s.Index < fromSegment);
        long lastLength = 0;
        for (var i = 0; i < segments.Count; i++)
        {
            var (index, path) = segments[i];
            var data = fileSystem.ReadAllBytes(path);
            var validLength = ReplaySegment(path, index, data, isLast: i == segments.Count - 1, replay);
            if (validLength < data.Length)
            {
                using (var torn = fileSystem.OpenFile(path, createIfMissing: false))
                {
                    torn.SetLength(validLength);
                    torn.Fsync();
                }

                warn?.Invoke($"Truncated a torn write at the end of '{path}': {data.Length - validLength} bytes after offset {validLength} (an unacknowledged append interrupted by a crash).");
            }

            lastLength = validLength;
        }

        // The last segment may be one an earlier run created but died (or had its directory fsync fail) before its
        // directory entry was durable: fsync the directory before acknowledging anything appended to it, as for a new one.
        var current = segments.Count > 0 ? segments[^1].Index : Math.Max(fromSegment, 1);
        var file = CreateSegment(fileSystem, options.Directory, current);
        return new WriteAheadLog(options, current, file, lastLength);
    }

    private static long ReplaySegment(string path, long index, byte[] data, bool isLast, Action<WalRecord> replay)
    {
        var position = 0;
        while (position < data.Length)
        {
            if (TryReadRecord(data, position, out var type, out var length, out var reason))
            {
                replay(new WalRecord(type, data.AsMemory(position + HeaderBytes, length), index, position));
                position += HeaderBytes + length;
                continue;
            }

            if (isLast && !AnyValidRecordAfter(data, position))
            {
                return position;
            }

            throw new WalCorruptionException(path, position, reason);
        }

        return position;
    }

    private static bool TryReadRecord(byte[] data, int position, out byte type, out int length, out string reason)
    {
        type = 0;
        length = 0;
        if (data.Length - position < HeaderBytes)
        {
            reason = "incomplete record header";
            return false;
        }

        var declared = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(position));
        if (declared > WalOptions.MaxRecordBytes || declared > (uint)(data.Length - position - HeaderBytes))
        {
            reason = $"record length {declared} runs past the end of the file";
            return false;
        }

        length = (int)declared;
        var expected = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(position + 4));
        var actual = Crc32C.Compute(data.AsSpan(position + 8, length + 1));
        if (expected != actual)
        {
            reason = $"checksum mismatch (stored 0x{expected:x8}, computed 0x{actual:x8})";
            return false;
        }

        type = data[position + 8];
        reason = "";
        return true;
    }

    // A torn tail is damage with nothing valid after it. Any well-formed record later in the file means
    // the damage sits in the middle of acknowledged data, which must never be silently dropped.
    private static bool AnyValidRecordAfter(byte[] data, int badPosition)
    {
        // Fast path: a flipped payload byte leaves the length intact, so the next record is where it says.
        if (data.Length - badPosition >= HeaderBytes)
        {
            var natural = badPosition + HeaderBytes + (long)BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(badPosition));
            if (natural < data.Length && TryReadRecord(data, (int)natural, out _, out _, out _))
            {
                return true;
            }
        }

        for (var p = badPosition + 1; p <= data.Length - HeaderBytes; p++)
        {
            if (TryReadRecord(data, p, out _, out _, out _))
            {
                return true;
            }
        }

        return false;
    }
}
