using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using Cohort.Core;
using Cohort.Core.Execution;
using Cohort.Storage.IO;

namespace Cohort.Storage.Wal;

/// <summary>
/// An append-only log of checksummed records in segment files, with group commit: appends from many
/// callers are copied into one buffer and a single flusher writes and fsyncs them together, so one
/// fsync serves every append of the batch. An append's task completes only once its bytes are
/// durable (under <see cref="DurabilityMode.Fsync"/>).
/// </summary>
/// <remarks>
/// Record layout: <c>length:u32 | crc32c:u32 | type:u8 | payload</c>, little-endian, where length is the
/// payload length and the checksum covers type and payload. Segments are named <c>wal-NNNNNNNNNNNN.log</c>.
/// <see cref="Append"/> is cheap and synchronous (a memory copy), so callers can append inside their own
/// critical section, keeping log order equal to their state order, and await durability outside it.
/// The flusher is a dedicated thread, except when the log is opened on a simulation's thread
/// (<see cref="Executor.Simulation"/>): then each signal posts one flush pass to the simulation's executor.
/// </remarks>
public sealed partial class WriteAheadLog : IAsyncDisposable
{
    /// <summary>Bytes of header before each payload.</summary>
    public const int HeaderBytes = 9;

    private readonly WalOptions _options;
    private readonly Lock _gate = new();
    // Wakes the dedicated flusher thread, which blocks on it; under simulation it is made but never waited on or set.
    private readonly FlusherWakeup _work = new();
    private readonly Promise _flusherExited = new();
    private readonly Executor? _simulation;
    private readonly Action? _flushPass;
    private readonly CancellationTokenSource _stop = new();

    // Flushes deferred records no later than WalOptions.DeferredFlushDelay after the first of them; null under
    // simulation, where a deferred record is flushed as any other.
    private readonly ITimer? _deferredFlush;

    // Guarded by _gate.
    private Batch _open;
    private readonly Queue<Batch> _sealed = new();
    private long _appendSegment;
    private bool _signalled;
    private bool _deferredPending;
    private Exception? _failure;
    private bool _disposed;

    // Owned by the flusher.
    private StorageFile _file;
    private long _fileSegment;
    private long _fileLength;
    private Batch? _spare = new();

    private WriteAheadLog(WalOptions options, long segment, StorageFile file, long length)
    {
        _options = options;
        _appendSegment = segment;
        _fileSegment = segment;
        _file = file;
        _fileLength = length;
        _open = new Batch();
        _simulation = Executor.Simulation;
        if (_simulation is not null)
        {
            // One thread runs the whole simulation: the flusher is a pass posted to it per signal.
            _flushPass = FlushPass;
            return;
        }

        // A dedicated thread: fsync blocks, and on a pool thread its wake-ups would sit behind (and
        // steal the thread from) the very appenders it should be batching.
#pragma warning disable RS0030 // Outside a simulation only (a log opened under one returned above).
        new Thread(FlushLoop) { IsBackground = true, Name = "cohort-wal-flusher" }.Start();
#pragma warning restore RS0030
        _deferredFlush = TimeProvider.System.CreateTimer(static log => ((WriteAheadLog)log!).FlushDeferred(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The directory of the segment files.</summary>
    public string Directory => _options.Directory;

    /// <summary>The segment new appends go to.</summary>
    public long CurrentSegment
    {
        get
        {
            lock (_gate)
            {
                return _appendSegment;
            }
        }
    }

    /// <summary>Statistics: fsyncs (or writes, without fsync) performed.</summary>
    public long FlushCount => Interlocked.Read(ref _flushCount);

    /// <summary>Statistics: records appended.</summary>
    public long RecordCount => Interlocked.Read(ref _recordCount);

    /// <summary>Bytes written to the current segment (approximate; for deciding when to snapshot).</summary>
    public long BytesSinceStart => Interlocked.Read(ref _bytesWritten);

    private long _flushCount;
    private long _recordCount;
    private long _bytesWritten;

    /// <summary>
    /// Copies a record into the log and returns a task that completes when it is durable. Records
    /// appended earlier are durable no later than records appended after them.
    /// </summary>
    /// <exception cref="CohortException">The log has failed (an earlier write or fsync error) or is disposed.</exception>
    public Task Append(byte type, ReadOnlySpan<byte> payload) => AppendRecord(type, payload, deferred: false);

    /// <summary>
    /// Copies a record into the log like <see cref="Append"/>, but asks for no flush of its own: the record is written
    /// with the next batch another append (or <see cref="FlushAsync"/>) asks for, and at the latest
    /// <see cref="WalOptions.DeferredFlushDelay"/> after it was appended. For a record whose durability nobody waits on
    /// in a hurry (a participant's commit record, acknowledged to a coordinator that keeps its decision until then):
    /// at low load it shares the next fsync instead of costing one.
    /// </summary>
    /// <exception cref="CohortException">The log has failed (an earlier write or fsync error) or is disposed.</exception>
    public Task AppendDeferred(byte type, ReadOnlySpan<byte> payload) => AppendRecord(type, payload, deferred: true);

    private Task AppendRecord(byte type, ReadOnlySpan<byte> payload, bool deferred)
    {
        if (payload.Length > WalOptions.MaxRecordBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(payload), $"A log record is limited to {WalOptions.MaxRecordBytes} bytes.");
        }

        lock (_gate)
        {
            ThrowIfUnusable();
            var buffer = _open.Buffer;
            var span = buffer.GetSpan(HeaderBytes + payload.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)payload.Length);
            span[8] = type;
            payload.CopyTo(span[HeaderBytes..]);
            BinaryPrimitives.WriteUInt32LittleEndian(span[4..], Crc32C.Compute(span.Slice(8, payload.Length + 1)));
            buffer.Advance(HeaderBytes + payload.Length);
            Interlocked.Increment(ref _recordCount);
            if (!deferred || _deferredFlush is null)
            {
                Signal();
            }
            else if (!_signalled && !_deferredPending)
            {
                // The first record nobody flushes yet: flush it by the deadline unless another append does first.
                _deferredPending = true;
                _deferredFlush.Change(_options.DeferredFlushDelay, Timeout.InfiniteTimeSpan);
            }

            return _open.Done.Task;
        }
    }

    // The deadline of a deferred record: flushes it unless a flush has taken it meanwhile.
    private void FlushDeferred()
    {
        lock (_gate)
        {
            if (_deferredPending && !_disposed && _failure is null)
            {
                Signal();
            }
        }
    }

    /// <summary>A task that completes when everything appended so far is durable.</summary>
    public Task FlushAsync()
    {
        lock (_gate)
        {
            ThrowIfUnusable();
            Signal();
            return PendingTask();
        }
    }

    /// <summary>
    /// Starts a new segment: every record appended before this call lands in an older segment, every
    /// record appended after it in the returned one (or later).
    /// </summary>
    public long Rotate()
    {
        lock (_gate)
        {
            ThrowIfUnusable();
            _appendSegment++;
            _open.RotateTo = _appendSegment;
            _sealed.Enqueue(_open);

            _open = _spare ?? new Batch();
            _spare = null;
            Signal();
            return _appendSegment;
        }
    }

    /// <summary>Deletes segment files whose index is below <paramref name="segment"/> (their content is in a snapshot).</summary>
    public int DeleteSegmentsBefore(long segment)
    {
        var deleted = 0;
        foreach (var (index, path) in ListSegments(_options.FileSystem, _options.Directory))
        {
            if (index < segment && index < CurrentSegment)
            {
                _options.FileSystem.Delete(path);
                deleted++;
            }
        }

        return deleted;
    }

    /// <summary>Stops the flusher after writing what is pending.</summary>
    public async ValueTask DisposeAsync()
    {
        Task last;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            // From here on appends are refused, so nothing can join a batch the flusher will never take.
            _disposed = true;
            last = _failure is null ? PendingTask() : Task.CompletedTask;
            Signal();
        }

        try
        {
            await last.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The failure has already been reported to the appenders.
        }

        if (_simulation is null)
        {
            await _deferredFlush!.DisposeAsync().ConfigureAwait(false);
            await _stop.CancelAsync().ConfigureAwait(false);
        }
        else
        {
            // No thread to stop: everything appended has been written, and passes still queued find nothing to do.
            _flusherExited.TrySetResult();
        }

        await _flusherExited.Task.ConfigureAwait(false);

        _file.Dispose();
        _stop.Dispose();
    }

    private void ThrowIfUnusable()
    {
        if (_disposed)
        {
            throw new CohortException(ErrorCodes.Disposed, "The write-ahead log is closed.");
        }

        if (_failure is not null)
        {
            throw new CohortException(ErrorCodes.Corruption, $"The write-ahead log failed and accepts no more writes: {_failure.Message}", isTransient: false, _failure);
        }
    }

    // Caller holds _gate: the task of the newest record appended so far.
    private Task PendingTask()
    {
        if (_open.Buffer.WrittenCount > 0)
        {
            return _open.Done.Task;
        }

        if (_sealed.Count > 0)
        {
            return _sealed.Last().Done.Task;
        }

        return _inFlight?.Task ?? Task.CompletedTask;
    }

    // Caller holds _gate. The flusher now drains every batch, the open one too: no deferred record waits any more.
    private void Signal()
    {
        _deferredPending = false;
        if (!_signalled)
        {
            _signalled = true;
            if (_simulation is null)
            {
                _work.Set();
            }
            else
            {
                _simulation.PostIo(_flushPass!);
            }
        }
    }

    internal static string SegmentPath(string directory, long index) =>
        Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"wal-{index:D12}.log"));

    internal static List<(long Index, string Path)> ListSegments(FileSystem fileSystem, string directory)
    {
        var result = new List<(long, string)>();
        if (!fileSystem.DirectoryExists(directory))
        {
            return result;
        }

        foreach (var path in fileSystem.EnumerateFiles(directory, "wal-*.log"))
        {
            var name = Path.GetFileNameWithoutExtension(path);
            if (long.TryParse(name.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                result.Add((index, path));
            }
        }

        result.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return result;
    }

    private sealed class Batch
    {
        public ArrayBufferWriter<byte> Buffer { get; } = new(64 * 1024);

        public Promise Done { get; set; } = new();

        public long? RotateTo { get; set; }

        public void Reset()
        {
            Buffer.ResetWrittenCount();
            Done = new Promise();
            RotateTo = null;
        }
    }
}
