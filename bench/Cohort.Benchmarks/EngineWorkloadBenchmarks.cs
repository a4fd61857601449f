using BenchmarkDotNet.Attributes;
using Cohort.Core;
using Cohort.Engines;
using Cohort.Storage.Wal;

namespace Cohort.Benchmarks;

/// <summary>
/// Durable single-node throughput of the queue and token engines at <see cref="Concurrency"/>
/// closed-loop clients, each transaction committed in one phase with fsync durability. The baseline is
/// the KV engine doing the same number of one-put transactions in the same run, so each figure reads
/// as "this workload costs N× a put".
/// </summary>
/// <remarks>
/// Workloads (per client, <see cref="PerClient"/> times):
/// <list type="bullet">
/// <item><c>KvPut</c>: one transaction putting a fresh key (the baseline).</item>
/// <item><c>Transfer</c>: one transaction moving 0.01 PTS from the client's account to the next client's.
/// Debits reserve, credits commute: clients never wait for each other.</item>
/// <item><c>QueuePairOwnQueue</c>: an enqueue transaction, then a dequeue transaction, on the client's own queue
/// (one pair = two transactions).</item>
/// <item><c>QueuePairSharedQueue</c>: the same, but every client uses one queue. Dequeues take the head
/// exclusively until their commit is durable, so they serialize; wounded or timed-out dequeues are retried.</item>
/// </list>
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(WalAppendConfig))]
public class EngineWorkloadBenchmarks
{
    /// <summary>Operations (transactions, or pairs) per client per invocation.</summary>
    public const int PerClient = 16;

    private string _directory = "";
    private IEmbeddedEngine? _kv;
    private IEmbeddedEngine? _resource;
    private IEmbeddedEngine? _queue;
    private int _iteration;

    [Params(64)]
    public int Concurrency { get; set; }

    private int Total => Concurrency * PerClient;

    // Synchronous on purpose: in one run with the in-process toolchain a benchmark started before an
    // async GlobalSetup had committed the token's initialize ("not initialized" from Transfer), so the
    // setup is finished here before BenchmarkDotNet moves on.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _directory = Path.Combine(Path.GetTempPath(), $"cohort-workload-{Guid.NewGuid():N}");
        _kv = Open("kv:bench");
        _resource = Open("resource:bench");
        _queue = Open("queue:bench");
        var tx = Begin();
        await _resource.ApplyAsync(tx, Operation.Create("initialize", ("symbol", "PTS"), ("decimals", 2)), CancellationToken.None).ConfigureAwait(false);
        for (var client = 0; client < Concurrency; client++)
        {
            await _resource.ApplyAsync(tx, Operation.Create("mint", ("to", $"acct{client}"), ("amount", "1000000.00")), CancellationToken.None).ConfigureAwait(false);
        }

        await _resource.CommitOnePhaseAsync(tx.Id, _resource.Clock.Now(), CancellationToken.None).ConfigureAwait(false);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        foreach (var engine in new[] { _kv, _resource, _queue })
        {
            if (engine is not null)
            {
                await engine.DisposeAsync().ConfigureAwait(false);
            }
        }

        Directory.Delete(_directory, recursive: true);
    }

    [IterationSetup]
    public void NextIteration() => _iteration++;

    /// <summary>Baseline: one-put KV transactions.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = 64 * PerClient)]
    public Task KvPut() => RunClientsAsync(async client =>
    {
        for (var i = 0; i < PerClient; i++)
        {
            await CommitAsync(_kv!, Operation.Create("put", ("key", $"k{_iteration}:{client}:{i}"), ("value", i))).ConfigureAwait(false);
        }
    });

    /// <summary>Token transfers between clients' accounts.</summary>
    [Benchmark(OperationsPerInvoke = 64 * PerClient)]
    public Task Transfer() => RunClientsAsync(async client =>
    {
        var transfer = Operation.Create(
            "transfer", ("from", $"acct{client}"), ("to", $"acct{(client + 1) % Concurrency}"), ("amount", "0.01"));
        for (var i = 0; i < PerClient; i++)
        {
            await CommitAsync(_resource!, transfer).ConfigureAwait(false);
        }
    });

    /// <summary>Enqueue then dequeue on the client's own queue; one operation is one pair.</summary>
    [Benchmark(OperationsPerInvoke = 64 * PerClient)]
    public Task QueuePairOwnQueue() => RunClientsAsync(client => PairsAsync($"q{client}"));

    /// <summary>Enqueue then dequeue, all clients on one queue; one operation is one pair.</summary>
    [Benchmark(OperationsPerInvoke = 64 * PerClient)]
    public Task QueuePairSharedQueue() => RunClientsAsync(_ => PairsAsync("shared"));

    private async Task PairsAsync(string queue)
    {
        for (var i = 0; i < PerClient; i++)
        {
            await CommitAsync(_queue!, Operation.Create("enqueue", ("queue", queue), ("value", i))).ConfigureAwait(false);
            while (true)
            {
                try
                {
                    var taken = await CommitAsync(_queue!, Operation.Create("dequeue", ("queue", queue))).ConfigureAwait(false);
                    if (!taken.IsNull)
                    {
                        break;
                    }
                }
                catch (CohortException e) when (e.IsTransient)
                {
                    // Wounded by an older dequeuer: retry with a new transaction, as a client would.
                }
            }
        }
    }

    private static async Task<Value> CommitAsync(IEmbeddedEngine engine, Operation operation)
    {
        var tx = Begin();
        try
        {
            var result = await engine.ApplyAsync(tx, operation, CancellationToken.None).ConfigureAwait(false);
            await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), CancellationToken.None).ConfigureAwait(false);
            return result;
        }
        catch (CohortException)
        {
            await engine.AbortAsync(tx.Id, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    private Task RunClientsAsync(Func<int, Task> client)
    {
        if (Concurrency != 64)
        {
            throw new InvalidOperationException("OperationsPerInvoke assumes 64 clients.");
        }

        return Task.WhenAll(Enumerable.Range(0, Concurrency).Select(i => Task.Run(() => client(i))));
    }

    private IEmbeddedEngine Open(string resource) =>
        EngineFactory.Open(resource, new EngineOptions { DataDirectory = Path.Combine(_directory, resource.Replace(':', '-')), Durability = DurabilityMode.Fsync });

    private static TransactionContext Begin() => new(TxId.NewId(), DateTimeOffset.UtcNow.AddSeconds(30));
}
