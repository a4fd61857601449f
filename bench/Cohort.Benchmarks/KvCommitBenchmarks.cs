using System.Buffers;
using System.Reflection;
using BenchmarkDotNet.Attributes;
using Cohort.Core;
using Cohort.Engines;
using Cohort.Engines.Kv;
using Cohort.Storage.Encoding;
using Cohort.Storage.Wal;

namespace Cohort.Benchmarks;

/// <summary>
/// Durable transactions per second through the KV engine, against the raw write-ahead log doing one
/// append per transaction. Each invocation runs <see cref="TotalTransactions"/> transactions split
/// evenly among <see cref="Concurrency"/> closed-loop tasks; a transaction is one <c>put</c> of a
/// 16-byte value to a key no other transaction writes, committed in one phase with
/// <see cref="DurabilityMode.Fsync"/> (durable when the commit returns). Times are per transaction.
/// </summary>
/// <remarks>
/// The keys and operations of an iteration are built in <see cref="BuildIteration"/>, outside the
/// measurement, so the allocations reported are the engine's (or the log's), not the caller's. Every
/// invocation writes fresh keys: each transaction inserts, as the memory-per-key figure assumes.
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(WalAppendConfig))]
public class KvCommitBenchmarks
{
    /// <summary>Transactions per invocation; divisible by every value of <see cref="Concurrency"/>.</summary>
    public const int TotalTransactions = 64 * 32;

    private const int ValueBytes = 16;

    // Same type byte as the engine's one-phase commit record; the raw log does not interpret it.
    private const byte CommitOnePhaseRecord = 3;

    private readonly Value _value = Value.From(Enumerable.Range(1, ValueBytes).Select(i => (byte)i).ToArray().AsSpan());
    private string _directory = "";
    private KvEngine? _engine;
    private WriteAheadLog? _wal;
    private int _iteration;
    private string[][] _keys = [];
    private Operation[][] _operations = [];

    [Params(1, 64)]
    public int Concurrency { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), $"cohort-kvbench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_directory);
        _engine = (KvEngine)EngineFactory.Open(
            "kv:bench",
            new EngineOptions { DataDirectory = Path.Combine(_directory, "kv"), Durability = DurabilityMode.Fsync });
        _wal = WriteAheadLog.Open(
            new WalOptions { Directory = Path.Combine(_directory, "wal"), Durability = DurabilityMode.Fsync },
            fromSegment: 1,
            replay: _ => { });
        _iteration = 0;
    }

    /// <summary>Fresh keys (<c>k{iteration}:{task}:{i}</c>) and their put operations for the next invocation.</summary>
    [IterationSetup]
    public void BuildIteration()
    {
        var perTask = TotalTransactions / Concurrency;
        var iteration = _iteration++;
        _keys = new string[Concurrency][];
        _operations = new Operation[Concurrency][];
        for (var task = 0; task < Concurrency; task++)
        {
            _keys[task] = new string[perTask];
            _operations[task] = new Operation[perTask];
            for (var i = 0; i < perTask; i++)
            {
                var key = $"k{iteration}:{task}:{i}";
                _keys[task][i] = key;
                _operations[task][i] = Operation.Create("put", ("key", key), ("value", _value));
            }
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_wal is { } wal)
        {
            if (wal.RecordCount > 0)
            {
                Console.WriteLine(
                    $"// Raw WAL Concurrency={Concurrency}: {wal.RecordCount} appends, {wal.FlushCount} fsyncs, "
                    + $"{(double)wal.RecordCount / Math.Max(1, wal.FlushCount):F1} appends per fsync");
            }

            await wal.DisposeAsync().ConfigureAwait(false);
            _wal = null;
        }

        if (_engine is { } engine)
        {
            if (engine.KeyCount > 0)
            {
                // The engine's log is private; read it by reflection for this diagnostic line only.
                var log = typeof(TransactionalEngine<KvTransaction>)
                    .GetField("_wal", BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(engine) as WriteAheadLog;
                var batching = log is null
                    ? ""
                    : $", {log.RecordCount} appends, {log.FlushCount} fsyncs, {(double)log.RecordCount / Math.Max(1, log.FlushCount):F1} appends per fsync";
                Console.WriteLine(
                    $"// KV engine Concurrency={Concurrency}: {engine.KeyCount} keys, {engine.ActiveTransactionCount} transactions left open{batching}");
            }

            await engine.DisposeAsync().ConfigureAwait(false);
            _engine = null;
        }

        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>
    /// The log alone: per transaction, encode what the engine's one-phase commit record holds (id,
    /// timestamp, one intent) and await one durable append. The floor under the engine.
    /// </summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = TotalTransactions)]
    public Task RawWal() => RunTasksAsync(RawWalTaskAsync);

    /// <summary>The KV engine: per transaction, one <c>put</c> then a one-phase commit.</summary>
    [Benchmark(OperationsPerInvoke = TotalTransactions)]
    public Task Engine() => RunTasksAsync(EngineTaskAsync);

    private Task RunTasksAsync(Func<int, Task> body)
    {
        var tasks = new Task[Concurrency];
        for (var i = 0; i < tasks.Length; i++)
        {
            var task = i;
            tasks[i] = Task.Run(() => body(task));
        }

        return Task.WhenAll(tasks);
    }

    private async Task EngineTaskAsync(int task)
    {
        var engine = _engine!;
        foreach (var operation in _operations[task])
        {
            var tx = new TransactionContext(TxId.NewId(), DateTimeOffset.UtcNow.AddSeconds(30));
            await engine.ApplyAsync(tx, operation, CancellationToken.None).ConfigureAwait(false);
            await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task RawWalTaskAsync(int task)
    {
        var wal = _wal!;
        var clock = _engine!.Clock;
        var buffer = new ArrayBufferWriter<byte>(256);
        foreach (var key in _keys[task])
        {
            buffer.ResetWrittenCount();
            buffer.WriteTxId(TxId.NewId());
            buffer.WriteInt64(clock.Now().Value);
            buffer.WriteVarUInt(1);
            buffer.WriteString(key);
            buffer.WriteByte(1);
            buffer.WriteValue(_value);
            await wal.Append(CommitOnePhaseRecord, buffer.WrittenSpan).ConfigureAwait(false);
        }
    }
}
