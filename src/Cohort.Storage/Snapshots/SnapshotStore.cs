using System.Buffers.Binary;
using System.Globalization;
using Cohort.Core;
using Cohort.Storage.IO;

namespace Cohort.Storage.Snapshots;

/// <summary>
/// Snapshot files of an engine's state. A snapshot is written to a temporary file, fsynced, renamed
/// into place and the directory fsynced, so a crash leaves either the old snapshot or the new one,
/// never half of one. Each snapshot records the first log segment that is not part of it.
/// </summary>
/// <remarks>Layout: <c>"COHSNAP1" | walSegment:i64 | length:i64 | payload | crc32c(payload):u32</c>.</remarks>
public sealed class SnapshotStore
{
    private static ReadOnlySpan<byte> Magic => "COHSNAP1"u8;
    private const int HeaderBytes = 24;

    private readonly FileSystem _fileSystem;

    /// <summary>Creates a store over <paramref name="directory"/> (created when missing).</summary>
    /// <param name="directory">The directory of the snapshot files.</param>
    /// <param name="fileSystem">Where the files live; <see cref="FileSystem.Real"/> when null.</param>
    public SnapshotStore(string directory, FileSystem? fileSystem = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = directory;
        _fileSystem = fileSystem ?? FileSystem.Real;
        _fileSystem.CreateDirectory(directory);
    }

    /// <summary>The directory of the snapshot files.</summary>
    public string Directory { get; }

    /// <summary>Atomically writes a snapshot covering every log segment before <paramref name="walSegment"/>, then deletes older snapshots.</summary>
    public async Task WriteAsync(long walSegment, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var path = PathFor(walSegment);
        var temp = path + ".tmp";
        var header = new byte[HeaderBytes];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(8), walSegment);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(16), payload.Length);
        var trailer = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, Crc32C.Compute(payload.Span));

        using (var file = _fileSystem.CreateFile(temp))
        {
            await file.WriteAsync(header, 0, cancellationToken).ConfigureAwait(false);
            await file.WriteAsync(payload, HeaderBytes, cancellationToken).ConfigureAwait(false);
            await file.WriteAsync(trailer, HeaderBytes + payload.Length, cancellationToken).ConfigureAwait(false);
            file.Fsync();
        }

        _fileSystem.Move(temp, path);
        _fileSystem.FsyncDirectory(Directory);
        foreach (var (segment, old) in List())
        {
            if (segment < walSegment)
            {
                _fileSystem.Delete(old);
            }
        }
    }

    /// <summary>
    /// Loads the newest snapshot, or null when there is none. A snapshot that fails its checksum stops
    /// start-up with an error naming the file (its log segments are gone, so no older state is complete).
    /// </summary>
    public (long WalSegment, byte[] Payload)? LoadNewest()
    {
        foreach (var temp in _fileSystem.EnumerateFiles(Directory, "snapshot-*.snap.tmp").ToList())
        {
            _fileSystem.Delete(temp); // an interrupted write; the previous snapshot is still whole
        }

        var files = List();
        if (files.Count == 0)
        {
            return null;
        }

        var (segment, path) = files[^1];
        var data = _fileSystem.ReadAllBytes(path);
        if (data.Length < HeaderBytes + 4 || !data.AsSpan(0, 8).SequenceEqual(Magic))
        {
            throw new CohortException(ErrorCodes.Corruption, $"Snapshot '{path}' is not a Cohort snapshot or is truncated ({data.Length} bytes).", isTransient: false);
        }

        var length = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(16));
        if (length != data.Length - HeaderBytes - 4 || BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(8)) != segment)
        {
            throw new CohortException(ErrorCodes.Corruption, $"Snapshot '{path}' has an inconsistent header (length {length}, file {data.Length} bytes).", isTransient: false);
        }

        var payload = data.AsSpan(HeaderBytes, (int)length);
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(HeaderBytes + (int)length));
        if (stored != Crc32C.Compute(payload))
        {
            throw new CohortException(ErrorCodes.Corruption, $"Snapshot '{path}' failed its checksum; refusing to start from damaged state.", isTransient: false);
        }

        return (segment, payload.ToArray());
    }

    private string PathFor(long segment) =>
        Path.Combine(Directory, string.Create(CultureInfo.InvariantCulture, $"snapshot-{segment:D12}.snap"));

    private List<(long Segment, string Path)> List()
    {
        var result = new List<(long, string)>();
        foreach (var path in _fileSystem.EnumerateFiles(Directory, "snapshot-*.snap"))
        {
            var name = Path.GetFileNameWithoutExtension(path);
            if (long.TryParse(name.AsSpan(9), NumberStyles.None, CultureInfo.InvariantCulture, out var segment))
            {
                result.Add((segment, path));
            }
        }

        result.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return result;
    }
}
