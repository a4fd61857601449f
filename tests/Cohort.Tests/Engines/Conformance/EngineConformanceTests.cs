using System.Collections.Immutable;
using Cohort.Core;
using Cohort.Engines;
using Cohort.Tests.TestSupport;

namespace Cohort.Tests.Engines.Conformance;

/// <summary>
/// The participant contract (DESIGN.md §4), checked the same way for every engine. A derived class
/// names a resource and says how to write and read an "item" and what a read returns after a
/// sequence of committed writes; everything else is common.
/// </summary>
public abstract class EngineConformanceTests : IAsyncLifetime
{
    private static readonly TimeSpan LongWait = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _directory = new();
    private readonly List<ITransactionalEngine> _opened = [];

    /// <summary>The resource to open, e.g. <c>kv:conformance</c>.</summary>
    protected abstract string Resource { get; }

    /// <summary>The operations that write version <paramref name="n"/> of <paramref name="item"/> (conflicting with other writes of it).</summary>
    protected abstract IReadOnlyList<Operation> Write(string item, int n);

    /// <summary>An operation that reads <paramref name="item"/> (valid both in transactions and snapshot reads).</summary>
    protected abstract Operation Read(string item);

    /// <summary>What <see cref="Read"/> returns after the writes <paramref name="committed"/> (in commit order).</summary>
    protected abstract Value Expected(string item, IReadOnlyList<int> committed);

    /// <summary>Prepares a fresh engine (e.g. initializes a token); runs once after the first open.</summary>
    protected virtual ValueTask InitializeAsync(ITransactionalEngine engine) => ValueTask.CompletedTask;

    protected string DataDirectory => _directory.Path;

    public async Task InitializeAsync()
    {
        var engine = OpenEngine();
        await InitializeAsync(engine);
        await CloseAsync(engine);
    }

    public async Task DisposeAsync()
    {
        foreach (var engine in _opened)
        {
            await engine.DisposeAsync();
        }

        _directory.Dispose();
    }

    [Fact]
    public async Task PrepareThenCommit_MakesWritesVisibleToLaterTransactions()
    {
        var engine = OpenEngine();
        var tx = Begin();
        await WriteAsync(engine, tx, "a", 1);
        var vote = await engine.PrepareAsync(tx.Id, new PrepareInfo(null), default);
        Assert.Equal(VoteKind.Yes, vote.Kind);
        await engine.CommitAsync(tx.Id, Max(vote.PrepareTimestamp, engine.Clock.Now()), default);

        Assert.Equal(Expected("a", [1]), await ReadInNewTransactionAsync(engine, "a"));
        Assert.Equal(Expected("a", [1]), await engine.ReadAsync(engine.Clock.Now(), Read("a"), default));
    }

    [Fact]
    public async Task CommitWithoutPrepare_CommitsInOnePhase()
    {
        var engine = OpenEngine();
        await CommitWritesAsync(engine, ("a", 1), ("b", 2));
        Assert.Equal(Expected("a", [1]), await ReadInNewTransactionAsync(engine, "a"));
        Assert.Equal(Expected("b", [2]), await ReadInNewTransactionAsync(engine, "b"));
    }

    [Fact]
    public async Task OnePhaseCommit_OfWorkLostInARestartBeforePrepare_FailsAndWritesNothing()
    {
        var engine = OpenEngine();
        var tx = Begin();
        await WriteAsync(engine, tx, "a", 1);
        await CloseAsync(engine);

        engine = OpenEngine();
        var error = await Assert.ThrowsAsync<CohortException>(async () => await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), default));
        Assert.Equal(ErrorCodes.UnknownTransaction, error.Code);
        Assert.Equal(Expected("a", []), await ReadInNewTransactionAsync(engine, "a"));
    }

    [Fact]
    public async Task PhaseTwoCommit_OfAnUnpreparedTransaction_IsRefused()
    {
        var engine = OpenEngine();
        var tx = Begin();
        await WriteAsync(engine, tx, "a", 1);
        var error = await Assert.ThrowsAsync<CohortException>(async () => await engine.CommitAsync(tx.Id, engine.Clock.Now(), default));
        Assert.Equal(ErrorCodes.NotActive, error.Code);
        await engine.AbortAsync(tx.Id, default);
        Assert.Equal(Expected("a", []), await ReadInNewTransactionAsync(engine, "a"));
    }

    [Fact]
    public async Task Operation_AfterAnAbortThatArrivedFirst_IsRefused()
    {
        var engine = OpenEngine();
        var tx = Begin();
        await engine.AbortAsync(tx.Id, default);
        var error = await Assert.ThrowsAsync<CohortException>(async () => await WriteAsync(engine, tx, "a", 1));
        Assert.Equal(ErrorCodes.Aborted, error.Code);
        Assert.Equal(0, ((IEmbeddedEngine)engine).ActiveTransactionCount);
    }

    [Fact]
    public async Task PreparedReader_KeepsItsReadLockUntilCommit()
    {
        var engine = OpenEngine();
        await CommitWritesAsync(engine, ("a", 1));
        var reader = Begin();
        var writer = Begin();
        await engine.ApplyAsync(reader, Read("a"), default);
        await WriteAsync(engine, reader, "b", 1);
        var vote = await engine.PrepareAsync(reader.Id, new PrepareInfo(null), default);

        // Were the read lock dropped at prepare, this write could commit below the reader's commit timestamp.
        var write = WriteAsync(engine, writer, "a", 2);
        await AssertStillPendingAsync(write);
        await engine.CommitAsync(reader.Id, Max(vote.PrepareTimestamp, engine.Clock.Now()), default);
        await write.WaitAsync(LongWait);
        await engine.CommitOnePhaseAsync(writer.Id, engine.Clock.Now(), default);
        Assert.Equal(Expected("a", [1, 2]), await ReadInNewTransactionAsync(engine, "a"));
    }

    [Fact]
    public async Task TransactionReadsItsOwnWrites()
    {
        var engine = OpenEngine();
        await CommitWritesAsync(engine, ("a", 1));
        var tx = Begin();
        await WriteAsync(engine, tx, "a", 2);
        Assert.Equal(Expected("a", [1, 2]), await engine.ApplyAsync(tx, Read("a"), default));
        await engine.AbortAsync(tx.Id, default);
    }

    [Fact]
    public async Task Abort_DiscardsWrites()
    {
        var engine = OpenEngine();
        var tx = Begin();
        await WriteAsync(engine, tx, "a", 1);
        await engine.AbortAsync(tx.Id, default);
        Assert.Equal(Expected("a", []), await ReadInNewTransactionAsync(engine, "a"));
    }

    [Fact]
    public async Task AbortAfterPrepare_DiscardsWritesAndReleasesLocks()
    {
        var engine = OpenEngine();
        var tx = Begin();
        await WriteAsync(engine, tx, "a", 1);
        Assert.Equal(VoteKind.Yes, (await engine.PrepareAsync(tx.Id, new PrepareInfo(null), default)).Kind);
        await engine.AbortAsync(tx.Id, default);

        Assert.Empty(engine.GetPrepared());
        await CommitWritesAsync(engine, ("a", 2)); // would wait on a leaked lock
        Assert.Equal(Expected("a", [2]), await ReadInNewTransactionAsync(engine, "a"));
    }

    [Fact]
    public async Task Commit_IsIdempotent()
    {
        var engine = OpenEngine();
        var tx = Begin();
        await WriteAsync(engine, tx, "a", 1);
        var vote = await engine.PrepareAsync(tx.Id, new PrepareInfo(null), default);
        var commitTs = Max(vote.PrepareTimestamp, engine.Clock.Now());
        await engine.CommitAsync(tx.Id, commitTs, default);
        await engine.CommitAsync(tx.Id, commitTs, default);
        Assert.Equal(VoteKind.Yes, (await engine.PrepareAsync(tx.Id, new PrepareInfo(null), default)).Kind);
        await engine.CommitAsync(tx.Id, commitTs, default);

        Assert.Equal(Expected("a", [1]), await ReadInNewTransactionAsync(engine, "a"));
    }

    [Fact]
    public async Task Abort_IsIdempotentAndCommitAfterAbortFails()
    {
        var engine = OpenEngine();
        var tx = Begin();
        await WriteAsync(engine, tx, "a", 1);
        await engine.PrepareAsync(tx.Id, new PrepareInfo(null), default);
        await engine.AbortAsync(tx.Id, default);
        await engine.AbortAsync(tx.Id, default);

        var error = await Assert.ThrowsAsync<CohortException>(async () => await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), default));
        Assert.Equal(ErrorCodes.Aborted, error.Code);
        Assert.Equal(Expected("a", []), await ReadInNewTransactionAsync(engine, "a"));
    }

    [Fact]
    public async Task Abort_OfUnknownTransaction_Succeeds()
    {
        var engine = OpenEngine();
        await engine.AbortAsync(TxId.NewId(), default);
        var vote = await engine.PrepareAsync(TxId.NewId(), new PrepareInfo(null), default);
        Assert.Equal(VoteKind.No, vote.Kind);
    }

    [Fact]
    public async Task OperationsAfterAbort_AreRefused()
    {
        var engine = OpenEngine();
        var tx = Begin();
        await WriteAsync(engine, tx, "a", 1);
        await engine.AbortAsync(tx.Id, default);
        var error = await Assert.ThrowsAsync<CohortException>(async () => await WriteAsync(engine, tx, "b", 1));
        Assert.Equal(ErrorCodes.Aborted, error.Code);
    }

    [Fact]
    public async Task ReadOnlyTransaction_VotesReadOnlyAndReleasesItsLocks()
    {
        var engine = OpenEngine();
        await CommitWritesAsync(engine, ("a", 1));
        var reader = Begin();
        await engine.ApplyAsync(reader, Read("a"), default);
        Assert.Equal(VoteKind.ReadOnly, (await engine.PrepareAsync(reader.Id, new PrepareInfo(null), default)).Kind);

        // A younger writer must not wait for the finished reader.
        await CommitWritesAsync(engine, ("a", 2));
        Assert.Equal(Expected("a", [1, 2]), await ReadInNewTransactionAsync(engine, "a"));
    }

    [Fact]
    public async Task OlderWriter_WoundsYoungerHolder()
    {
        var engine = OpenEngine();
        await CommitWritesAsync(engine, ("a", 1));
        var older = Begin();
        var younger = Begin();
        await WriteAsync(engine, younger, "a", 2);

        // The older transaction gets the item at once; the younger one is aborted.
        await WriteAsync(engine, older, "a", 3).WaitAsync(LongWait);
        var error = await Assert.ThrowsAsync<CohortException>(async () => await engine.ApplyAsync(younger, Read("a"), default));
        Assert.Equal(ErrorCodes.Wounded, error.Code);
        Assert.True(error.IsTransient);
        Assert.Equal(VoteKind.No, (await engine.PrepareAsync(younger.Id, new PrepareInfo(null), default)).Kind);

        await engine.CommitOnePhaseAsync(older.Id, engine.Clock.Now(), default);
        Assert.Equal(Expected("a", [1, 3]), await ReadInNewTransactionAsync(engine, "a"));
    }

    [Fact]
    public async Task YoungerWriter_WaitsForOlderHolder()
    {
        var engine = OpenEngine();
        var older = Begin();
        var younger = Begin();
        await WriteAsync(engine, older, "a", 1);

        var waiting = WriteAsync(engine, younger, "a", 2);
        await AssertStillPendingAsync(waiting);
        await engine.CommitOnePhaseAsync(older.Id, engine.Clock.Now(), default);
        await waiting.WaitAsync(LongWait);
        await engine.CommitOnePhaseAsync(younger.Id, engine.Clock.Now(), default);

        Assert.Equal(Expected("a", [1, 2]), await ReadInNewTransactionAsync(engine, "a"));
    }

    [Fact]
    public async Task OlderWriter_WaitsForPreparedYoungerHolder()
    {
        var engine = OpenEngine();
        var older = Begin();
        var younger = Begin();
        await WriteAsync(engine, younger, "a", 1);
        var vote = await engine.PrepareAsync(younger.Id, new PrepareInfo(null), default);
        Assert.Equal(VoteKind.Yes, vote.Kind);

        var waiting = WriteAsync(engine, older, "a", 2);
        await AssertStillPendingAsync(waiting);
        await engine.CommitAsync(younger.Id, Max(vote.PrepareTimestamp, engine.Clock.Now()), default);
        await waiting.WaitAsync(LongWait);
        await engine.CommitOnePhaseAsync(older.Id, engine.Clock.Now(), default);

        Assert.Equal(Expected("a", [1, 2]), await ReadInNewTransactionAsync(engine, "a"));
    }

    [Fact]
    public async Task LockWait_FailsAtTheDeadline()
    {
        var engine = OpenEngine();
        var older = Begin();
        await WriteAsync(engine, older, "a", 1);
        var younger = new TransactionContext(TxId.NewId(), DateTimeOffset.UtcNow.AddMilliseconds(300));

        var error = await Assert.ThrowsAsync<CohortException>(async () => await WriteAsync(engine, younger, "a", 2).WaitAsync(LongWait));
        Assert.Equal(ErrorCodes.LockTimeout, error.Code);
        Assert.Equal(VoteKind.No, (await engine.PrepareAsync(younger.Id, new PrepareInfo(null), default)).Kind);
        await engine.CommitOnePhaseAsync(older.Id, engine.Clock.Now(), default);
    }

    [Fact]
    public async Task Operation_AfterDeadline_IsRefusedAsExpired()
    {
        var engine = OpenEngine();
        var tx = new TransactionContext(TxId.NewId(), DateTimeOffset.UtcNow.AddSeconds(-1));
        var error = await Assert.ThrowsAsync<CohortException>(async () => await WriteAsync(engine, tx, "a", 1));
        Assert.Equal(ErrorCodes.Expired, error.Code);
    }

    [Fact]
    public async Task SnapshotRead_NeverBlocksAWriterAndNeverSeesUncommittedData()
    {
        var engine = OpenEngine();
        await CommitWritesAsync(engine, ("a", 1));
        var writer = Begin();
        await WriteAsync(engine, writer, "a", 2);

        var read = await engine.ReadAsync(engine.Clock.Now(), Read("a"), default).AsTask().WaitAsync(LongWait);
        Assert.Equal(Expected("a", [1]), read);

        // The writer was not disturbed by the read.
        await WriteAsync(engine, writer, "b", 2).WaitAsync(LongWait);
        await engine.CommitOnePhaseAsync(writer.Id, engine.Clock.Now(), default);
        Assert.Equal(Expected("a", [1, 2]), await ReadInNewTransactionAsync(engine, "a"));
    }

    [Fact]
    public async Task SnapshotRead_DoesNotSeeLaterCommits()
    {
        var engine = OpenEngine();
        await CommitWritesAsync(engine, ("a", 1));
        var snapshot = engine.Clock.Now();
        await CommitWritesAsync(engine, ("a", 2));

        Assert.Equal(Expected("a", [1]), await engine.ReadAsync(snapshot, Read("a"), default));
        Assert.Equal(Expected("a", [1, 2]), await engine.ReadAsync(engine.Clock.Now(), Read("a"), default));
    }

    [Fact]
    public async Task SnapshotRead_WaitsForPreparedWriteAtOrBeforeIt()
    {
        var engine = OpenEngine();
        await CommitWritesAsync(engine, ("a", 1));
        var tx = Begin();
        await WriteAsync(engine, tx, "a", 2);
        var vote = await engine.PrepareAsync(tx.Id, new PrepareInfo(null), default);
        var snapshot = engine.Clock.Now();
        Assert.True(vote.PrepareTimestamp <= snapshot);

        var read = engine.ReadAsync(snapshot, Read("a"), default).AsTask();
        await AssertStillPendingAsync(read);
        await engine.CommitAsync(tx.Id, vote.PrepareTimestamp, default);

        // Committed at or before the snapshot: the waiting read must see it.
        Assert.Equal(Expected("a", [1, 2]), await read.WaitAsync(LongWait));
    }

    [Fact]
    public async Task SnapshotRead_AfterWaitingOnPreparedWriteCommittedLater_SeesTheOldValue()
    {
        var engine = OpenEngine();
        await CommitWritesAsync(engine, ("a", 1));
        var tx = Begin();
        await WriteAsync(engine, tx, "a", 2);
        var vote = await engine.PrepareAsync(tx.Id, new PrepareInfo(null), default);
        var snapshot = engine.Clock.Now();

        var read = engine.ReadAsync(snapshot, Read("a"), default).AsTask();
        await AssertStillPendingAsync(read);
        await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), default);

        Assert.Equal(Expected("a", [1]), await read.WaitAsync(LongWait));
        Assert.True(vote.PrepareTimestamp <= snapshot);
    }

    [Fact]
    public async Task SnapshotRead_BeforeThePrepareTimestamp_DoesNotWait()
    {
        var engine = OpenEngine();
        await CommitWritesAsync(engine, ("a", 1));
        var snapshot = engine.Clock.Now();
        var tx = Begin();
        await WriteAsync(engine, tx, "a", 2);
        var vote = await engine.PrepareAsync(tx.Id, new PrepareInfo(null), default);
        Assert.True(vote.PrepareTimestamp > snapshot);

        Assert.Equal(Expected("a", [1]), await engine.ReadAsync(snapshot, Read("a"), default).AsTask().WaitAsync(LongWait));
        await engine.AbortAsync(tx.Id, default);
    }

    [Fact]
    public async Task Prepare_KillRestart_Commit_AppliesTheWrites()
    {
        var txId = await PrepareInChildAndKillAsync([.. Write("a", 1), .. Write("b", 1)]);

        var engine = OpenEngine();
        var prepared = Assert.Single(engine.GetPrepared());
        Assert.Equal(txId, prepared.Id);
        Assert.Equal("test-coordinator", prepared.Coordinator);

        // The recovered transaction still holds its write locks.
        var blocked = new TransactionContext(TxId.NewId(), DateTimeOffset.UtcNow.AddMilliseconds(300));
        var error = await Assert.ThrowsAsync<CohortException>(async () => await WriteAsync(engine, blocked, "a", 9).WaitAsync(LongWait));
        Assert.Equal(ErrorCodes.LockTimeout, error.Code);

        await engine.CommitAsync(txId, Max(prepared.PrepareTimestamp, engine.Clock.Now()), default);
        Assert.Empty(engine.GetPrepared());
        Assert.Equal(Expected("a", [1]), await ReadInNewTransactionAsync(engine, "a"));
        Assert.Equal(Expected("b", [1]), await ReadInNewTransactionAsync(engine, "b"));

        // And the commit itself survives another restart.
        await CloseAsync(engine);
        engine = OpenEngine();
        Assert.Equal(Expected("a", [1]), await ReadInNewTransactionAsync(engine, "a"));
    }

    [Fact]
    public async Task Prepare_KillRestart_Abort_DiscardsTheWrites()
    {
        var txId = await PrepareInChildAndKillAsync([.. Write("a", 1)]);

        var engine = OpenEngine();
        Assert.Equal(txId, Assert.Single(engine.GetPrepared()).Id);
        await engine.AbortAsync(txId, default);
        Assert.Empty(engine.GetPrepared());
        Assert.Equal(Expected("a", []), await ReadInNewTransactionAsync(engine, "a"));

        await CloseAsync(engine);
        engine = OpenEngine();
        Assert.Empty(engine.GetPrepared());
        await CommitWritesAsync(engine, ("a", 2));
        Assert.Equal(Expected("a", [2]), await ReadInNewTransactionAsync(engine, "a"));
    }

    [Fact]
    public async Task Restart_AfterSnapshotAndMoreCommits_RecoversEverythingIncludingPrepared()
    {
        var engine = OpenEngine();
        await CommitWritesAsync(engine, ("a", 1));
        var prepared = Begin();
        await WriteAsync(engine, prepared, "p", 1);
        var vote = await engine.PrepareAsync(prepared.Id, new PrepareInfo("c1"), default);
        await ((IEmbeddedEngine)engine).SnapshotAsync(CancellationToken.None);
        await CommitWritesAsync(engine, ("b", 1));
        await CloseAsync(engine);

        engine = OpenEngine();
        Assert.Equal(prepared.Id, Assert.Single(engine.GetPrepared()).Id);
        Assert.Equal(Expected("a", [1]), await ReadInNewTransactionAsync(engine, "a"));
        Assert.Equal(Expected("b", [1]), await ReadInNewTransactionAsync(engine, "b"));
        await engine.CommitAsync(prepared.Id, Max(vote.PrepareTimestamp, engine.Clock.Now()), default);
        Assert.Equal(Expected("p", [1]), await ReadInNewTransactionAsync(engine, "p"));
    }

    [Fact]
    public async Task ConcurrentConflictingWriters_AllFinishAndCommittedWritesAreAllApplied()
    {
        var engine = OpenEngine();
        var committed = new List<int>();
        var timeouts = 0;
        using var gate = new SemaphoreSlim(1, 1);
        var tasks = Enumerable.Range(1, 16).Select(n => Task.Run(async () =>
        {
            for (var attempt = 0; attempt < 50; attempt++)
            {
                var tx = new TransactionContext(TxId.NewId(), DateTimeOffset.UtcNow.AddSeconds(10));
                try
                {
                    await engine.ApplyAsync(tx, Read("hot"), default);
                    await WriteAsync(engine, tx, "hot", n);
                    // Record the commit order under the same gate as the commit itself.
                    await gate.WaitAsync();
                    try
                    {
                        await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), default);
                        committed.Add(n);
                    }
                    finally
                    {
                        gate.Release();
                    }

                    return;
                }
                catch (CohortException e) when (e.IsTransient)
                {
                    if (e.Code == ErrorCodes.LockTimeout)
                    {
                        Interlocked.Increment(ref timeouts);
                    }

                    await engine.AbortAsync(tx.Id, default);
                }
            }
        }));
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromMinutes(2));

        // Wound-wait admits no deadlock, so with a 10 s deadline no wait may ever time out.
        Assert.Equal(0, timeouts);
        Assert.NotEmpty(committed);
        Assert.Equal(Expected("hot", committed), await ReadInNewTransactionAsync(engine, "hot"));
    }

    protected ITransactionalEngine OpenEngine()
    {
        var engine = EngineFactory.Open(Resource, new EngineOptions { DataDirectory = DataDirectory });
        _opened.Add(engine);
        return engine;
    }

    protected async Task CloseAsync(ITransactionalEngine engine)
    {
        _opened.Remove(engine);
        await engine.DisposeAsync();
    }

    protected async Task WriteAsync(ITransactionalEngine engine, TransactionContext tx, string item, int n)
    {
        foreach (var operation in Write(item, n))
        {
            await engine.ApplyAsync(tx, operation, default);
        }
    }

    protected static TransactionContext Begin() => new(TxId.NewId(), DateTimeOffset.UtcNow.AddSeconds(60));

    protected async Task CommitWritesAsync(ITransactionalEngine engine, params (string Item, int N)[] writes)
    {
        var tx = Begin();
        foreach (var (item, n) in writes)
        {
            await WriteAsync(engine, tx, item, n);
        }

        await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), default);
    }

    protected async Task<Value> ReadInNewTransactionAsync(ITransactionalEngine engine, string item)
    {
        var tx = Begin();
        var value = await engine.ApplyAsync(tx, Read(item), default);
        await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), default);
        return value;
    }

    private async Task<TxId> PrepareInChildAndKillAsync(Operation[] operations)
    {
        var ops = ValueJson.Serialize(Value.List(operations.Select(o => o.ToValue()).ToImmutableArray()));
        await using var child = CrashHostProcess.Start("prepare", DataDirectory, Resource, ops);
        var line = await child.WaitForLineAsync(l => l.StartsWith("PREPARED ", StringComparison.Ordinal) || l.StartsWith("VOTE ", StringComparison.Ordinal), LongWait);
        Assert.StartsWith("PREPARED ", line);
        await child.KillAsync();
        return TxId.Parse(line["PREPARED ".Length..]);
    }

    private static async Task AssertStillPendingAsync(Task task)
    {
        // Give the task every chance to (wrongly) complete; a correct engine keeps it waiting.
        var winner = await Task.WhenAny(task, Task.Delay(TimeSpan.FromMilliseconds(200)));
        Assert.NotSame(task, winner);
    }

    private static HlcTimestamp Max(HlcTimestamp a, HlcTimestamp b) => a > b ? a : b;
}
