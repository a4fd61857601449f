using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using Cohort.Core;
using Cohort.Engines;
using Cohort.Engines.Kv;
using Cohort.Storage.Wal;

namespace Cohort.Benchmarks;

/// <summary>
/// Managed heap bytes per key held by an open KV engine: insert <c>count</c> keys of 8 characters with
/// 16-byte values (once as byte strings, once as 16-character strings), in one-phase transactions of
/// <see cref="PutsPerTransaction"/> puts, and divide the growth of the live heap (after a full,
/// blocking, compacting collection) by the number of keys. Everything the engine retains counts: the
/// key and value objects themselves, the store's tree nodes and version objects.
/// </summary>
internal static class MemoryPerKey
{
    public const string Command = "memory-per-key";

    private const int DefaultCount = 1_000_000;
    private const int PutsPerTransaction = 1_000;
    private const int ValueBytes = 16;

    public static async Task<int> RunAsync(string[] args)
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : DefaultCount;
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"memory per key: {count:N0} keys of 8 characters, 16-byte values, {PutsPerTransaction} puts per one-phase transaction, DurabilityMode.None"));
        Console.WriteLine(string.Create(inv, $"  GC: server={GCSettings.IsServerGC}, latency mode {GCSettings.LatencyMode}"));

        var first = await MeasureAsync(count, "bytes values (16-byte byte[])", i =>
        {
            Span<byte> value = stackalloc byte[ValueBytes];
            BitConverter.TryWriteBytes(value, (long)i);
            BitConverter.TryWriteBytes(value[8..], ~(long)i);
            return Value.From((ReadOnlySpan<byte>)value);
        }).ConfigureAwait(false);

        // A disposed engine can stay reachable for a moment (a thread-pool thread that ran its last
        // continuation); the second baseline must not include it, or its release would be subtracted.
        await WaitUntilCollectedAsync(first).ConfigureAwait(false);
        var second = await MeasureAsync(count, "string values (16 characters)", i => Value.From(string.Create(inv, $"v{i:D15}"))).ConfigureAwait(false);
        await WaitUntilCollectedAsync(second).ConfigureAwait(false);
        return 0;
    }

    private static async Task WaitUntilCollectedAsync(WeakReference engine)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            LiveBytes();
            if (!engine.IsAlive)
            {
                return;
            }

            if (watch.Elapsed > TimeSpan.FromSeconds(30))
            {
                Console.WriteLine("  warning: the disposed engine is still reachable after 30 s");
                return;
            }

            await Task.Delay(100).ConfigureAwait(false);
        }
    }

    private static async Task<WeakReference> MeasureAsync(int count, string label, Func<int, Value> valueOf)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"cohort-memkey-{Guid.NewGuid():N}");
        var engine = (KvEngine)EngineFactory.Open(
            "kv:memory",
            new EngineOptions
            {
                DataDirectory = directory,
                Durability = DurabilityMode.None,

                // No maintenance pass: nothing to expire or collect (every key is written once), and no
                // background snapshot whose buffers would be live during the measurement.
                MaintenanceInterval = Timeout.InfiniteTimeSpan,
            });
        try
        {
            var before = LiveBytes();
            var watch = Stopwatch.StartNew();
            for (var start = 0; start < count; start += PutsPerTransaction)
            {
                var tx = new TransactionContext(TxId.NewId(), DateTimeOffset.UtcNow.AddMinutes(5));
                var end = Math.Min(count, start + PutsPerTransaction);
                for (var i = start; i < end; i++)
                {
                    var key = i.ToString("D8", CultureInfo.InvariantCulture);
                    await engine.ApplyAsync(tx, Operation.Create("put", ("key", key), ("value", valueOf(i))), CancellationToken.None).ConfigureAwait(false);
                }

                await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), CancellationToken.None).ConfigureAwait(false);
            }

            var elapsed = watch.Elapsed;
            var after = LiveBytes();
            var keys = engine.KeyCount;
            var inv = CultureInfo.InvariantCulture;
            Console.WriteLine(label);
            Console.WriteLine(string.Create(inv, $"  keys {keys:N0}, inserted in {elapsed.TotalSeconds:F2} s ({count / elapsed.TotalSeconds:N0} puts/s)"));
            Console.WriteLine(string.Create(inv, $"  live heap before {before:N0} B, after {after:N0} B"));
            Console.WriteLine(string.Create(inv, $"  bytes per key {(double)(after - before) / count:F1}"));

            // Keep the engine reachable until after the measurement.
            GC.KeepAlive(engine);
        }
        finally
        {
            await engine.DisposeAsync().ConfigureAwait(false);
            Directory.Delete(directory, recursive: true);
        }

        return new WeakReference(engine);
    }

    private static long LiveBytes()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
