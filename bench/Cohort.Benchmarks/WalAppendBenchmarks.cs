using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Cohort.Storage;
using Cohort.Storage.Wal;

namespace Cohort.Benchmarks;

/// <summary>
/// Durable appends per second: the write-ahead log's group commit against the naive design of one fsync
/// per append. Each invocation performs <see cref="TotalAppends"/> appends of a 100-byte payload, split
/// evenly among <see cref="Writers"/> concurrent tasks; every task awaits its append before issuing the
/// next (a closed loop, like transactions waiting for their commit record). Times are per append.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(WalAppendConfig))]
public class WalAppendBenchmarks
{
    /// <summary>Appends per invocation; divisible by every value of <see cref="Writers"/>.</summary>
    public const int TotalAppends = 64 * 32;

    private const int PayloadBytes = 100;
    private const byte RecordType = 1;

    private readonly byte[] _payload = new byte[PayloadBytes];
    private readonly byte[] _record = new byte[WriteAheadLog.HeaderBytes + PayloadBytes];
    private string _directory = "";
    private WriteAheadLog? _wal;
    private FileStream? _baselineFile;
    private SemaphoreSlim? _baselineLock;
    private long _baselineAppends;
    private long _baselineFsyncs;

    [Params(1, 8, 64)]
    public int Writers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        new Random(7).NextBytes(_payload);
        _directory = Path.Combine(Path.GetTempPath(), $"cohort-walbench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_directory);
        _wal = WriteAheadLog.Open(
            new WalOptions { Directory = Path.Combine(_directory, "wal"), Durability = DurabilityMode.Fsync },
            fromSegment: 1,
            replay: _ => { });

        // bufferSize 0: each Write is one write(2) and Flush(flushToDisk: true) one fsync(2), like the log's flusher.
        _baselineFile = new FileStream(
            Path.Combine(_directory, "baseline.log"), FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0);
        _baselineLock = new SemaphoreSlim(1, 1);
        _baselineAppends = 0;
        _baselineFsyncs = 0;
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_wal is { } wal)
        {
            // Visible in the run log: how many appends one fsync served on average.
            if (wal.RecordCount > 0)
            {
                Console.WriteLine(
                    $"// WAL Writers={Writers}: {wal.RecordCount} appends, {wal.FlushCount} fsyncs, "
                    + $"{(double)wal.RecordCount / Math.Max(1, wal.FlushCount):F1} appends per fsync");
            }

            await wal.DisposeAsync().ConfigureAwait(false);
            _wal = null;
        }

        if (_baselineAppends > 0)
        {
            Console.WriteLine($"// Baseline Writers={Writers}: {_baselineAppends} appends, {_baselineFsyncs} fsyncs");
        }

        if (_baselineFile is not null)
        {
            await _baselineFile.DisposeAsync().ConfigureAwait(false);
            _baselineFile = null;
        }

        _baselineLock?.Dispose();
        _baselineLock = null;
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>The naive design: each append writes its record and fsyncs before the next append may start.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = TotalAppends)]
    public Task FsyncPerAppend() => RunWritersAsync(FsyncPerAppendWriterAsync);

    /// <summary>The real <see cref="WriteAheadLog"/> with <see cref="DurabilityMode.Fsync"/>.</summary>
    [Benchmark(OperationsPerInvoke = TotalAppends)]
    public Task GroupCommit() => RunWritersAsync(GroupCommitWriterAsync);

    private Task RunWritersAsync(Func<int, Task> writer)
    {
        var perWriter = TotalAppends / Writers;
        var tasks = new Task[Writers];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = Task.Run(() => writer(perWriter));
        }

        return Task.WhenAll(tasks);
    }

    private async Task GroupCommitWriterAsync(int appends)
    {
        var wal = _wal!;
        for (var i = 0; i < appends; i++)
        {
            await wal.Append(RecordType, _payload).ConfigureAwait(false);
        }
    }

    private async Task FsyncPerAppendWriterAsync(int appends)
    {
        var file = _baselineFile!;
        var gate = _baselineLock!;
        for (var i = 0; i < appends; i++)
        {
            // A file takes appends from one writer at a time; the others wait without blocking a thread.
            await gate.WaitAsync().ConfigureAwait(false);
            try
            {
                // Same record format and checksum work as the log, so the only difference is the fsync policy.
                var span = _record.AsSpan();
                BinaryPrimitives.WriteUInt32LittleEndian(span, PayloadBytes);
                span[8] = RecordType;
                _payload.CopyTo(span[WriteAheadLog.HeaderBytes..]);
                BinaryPrimitives.WriteUInt32LittleEndian(span[4..], Crc32C.Compute(span.Slice(8, PayloadBytes + 1)));
                file.Write(span);
                file.Flush(flushToDisk: true);
                _baselineAppends++;
                _baselineFsyncs++;
            }
            finally
            {
                gate.Release();
            }
        }
    }
}
