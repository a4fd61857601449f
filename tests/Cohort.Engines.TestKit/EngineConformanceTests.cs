using System.Collections.Immutable;

namespace Cohort.Engines.TestKit;

/// <summary>
/// The participant contract (<see cref="ITransactionalEngine"/>, DESIGN.md §4), checked the same way for every engine:
/// KV, queue, resource, SQL and PostgreSQL. A derived class opens its engine over a fresh store, names how to write and
/// read an "item" and what a read returns after a sequence of committed writes, and says which
/// <see cref="EngineCapabilities"/> it has; everything else is common. A case needing a capability the engine lacks is
/// skipped with the engine's reason (<see cref="WhyNot"/>).
/// </summary>
/// <remarks>
/// The crash cases run Cohort.CrashHost (its <c>prepare</c> command) as a child process over the same store and kill it
/// with SIGKILL after its Yes vote, so the derived test project must reference tests/Cohort.CrashHost.
/// </remarks>
public abstract partial class EngineConformanceTests : IAsyncLifetime
{
    /// <summary>How long a step that should finish may take on a loaded machine.</summary>
    protected static readonly TimeSpan LongWait = TimeSpan.FromSeconds(30);

    private readonly List<ITransactionalEngine> _opened = [];

    /// <summary>The resource to open, e.g. <c>kv:conformance</c>.</summary>
    protected abstract string Resource { get; }

    /// <summary>What the engine does beyond the common contract.</summary>
    protected abstract EngineCapabilities Capabilities { get; }

    /// <summary>The store argument Cohort.CrashHost opens <see cref="Resource"/> with (a data directory, a connection string).</summary>
    protected abstract string CrashHostStore { get; }

    /// <summary>Opens the engine over this test's store (the same store every time, so a reopen is a restart).</summary>
    protected abstract Task<ITransactionalEngine> OpenEngineCoreAsync();

    /// <summary>The number of transactions the engine still tracks (active, prepared, committing).</summary>
    protected abstract int ActiveTransactionCount(ITransactionalEngine engine);

    /// <summary>The operations that write version <paramref name="n"/> of <paramref name="item"/> (conflicting with other writes of it).</summary>
    protected abstract IReadOnlyList<Operation> Write(string item, int n);

    /// <summary>An operation that reads <paramref name="item"/> (valid both in transactions and snapshot reads).</summary>
    protected abstract Operation Read(string item);

    /// <summary>What <see cref="Read"/> returns after the writes <paramref name="committed"/> (in commit order).</summary>
    protected abstract Value Expected(string item, IReadOnlyList<int> committed);

    /// <summary>Why the engine lacks <paramref name="capability"/>: the skip reason of the cases that need it.</summary>
    protected virtual string WhyNot(EngineCapabilities capability) => $"{GetType().Name} does not claim {capability}.";

    /// <summary>Creates this test's empty store (a directory, a database); runs before the first open.</summary>
    protected virtual Task CreateStoreAsync() => Task.CompletedTask;

    /// <summary>Deletes this test's store; runs after every engine was closed.</summary>
    protected virtual Task DeleteStoreAsync() => Task.CompletedTask;

    /// <summary>Prepares a fresh engine (e.g. initializes a token, creates a table); runs once after the first open.</summary>
    protected virtual ValueTask InitializeAsync(ITransactionalEngine engine) => ValueTask.CompletedTask;

    /// <summary>Makes the engine compact what it keeps for recovery (an embedded engine's snapshot); nothing by default.</summary>
    protected virtual Task CheckpointAsync(ITransactionalEngine engine) => Task.CompletedTask;

    /// <inheritdoc/>
    public async Task InitializeAsync()
    {
        await CreateStoreAsync();
        var engine = await OpenEngineAsync();
        await InitializeAsync(engine);
        await CloseAsync(engine);
    }

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        foreach (var engine in _opened)
        {
            await engine.DisposeAsync();
        }

        _opened.Clear();
        await DeleteStoreAsync();
    }

    /// <summary>Skips the running case, with the engine's reason, unless the engine has <paramref name="capability"/>.</summary>
    protected void Requires(EngineCapabilities capability) => Skip.IfNot(Capabilities.HasFlag(capability), WhyNot(capability));

    /// <summary>Opens the engine and closes it when the test ends.</summary>
    protected async Task<ITransactionalEngine> OpenEngineAsync()
    {
        var engine = await OpenEngineCoreAsync();
        _opened.Add(engine);
        return engine;
    }

    /// <summary>Closes the engine (a clean shutdown; <see cref="PrepareInChildAndKillAsync"/> is the crash).</summary>
    protected async Task CloseAsync(ITransactionalEngine engine)
    {
        _opened.Remove(engine);
        await engine.DisposeAsync();
    }

    /// <summary>Runs <see cref="Write"/> in <paramref name="tx"/>.</summary>
    protected async Task WriteAsync(ITransactionalEngine engine, TransactionContext tx, string item, int n)
    {
        foreach (var operation in Write(item, n))
        {
            await engine.ApplyAsync(tx, operation, default);
        }
    }

    /// <summary>A new transaction with a minute to live.</summary>
    protected static TransactionContext Begin() => new(TxId.NewId(), DateTimeOffset.UtcNow.AddSeconds(60));

    /// <summary>Commits the writes in one transaction, in one phase.</summary>
    protected async Task CommitWritesAsync(ITransactionalEngine engine, params (string Item, int N)[] writes)
    {
        var tx = Begin();
        foreach (var (item, n) in writes)
        {
            await WriteAsync(engine, tx, item, n);
        }

        await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), default);
    }

    /// <summary>Reads <paramref name="item"/> in a transaction of its own, committed after the read.</summary>
    protected async Task<Value> ReadInNewTransactionAsync(ITransactionalEngine engine, string item)
    {
        var tx = Begin();
        var value = await engine.ApplyAsync(tx, Read(item), default);
        await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), default);
        return value;
    }

    /// <summary>
    /// Applies <paramref name="operations"/> and prepares them (coordinator <c>test-coordinator</c>) in a Cohort.CrashHost
    /// child over this test's store, kills it with SIGKILL after its Yes vote, and returns the transaction's id.
    /// </summary>
    /// <param name="operations">The transaction's operations.</param>
    /// <param name="keepReadLocks">Prepare with <see cref="PrepareInfo.KeepReadLocks"/> (a read-only transaction then keeps its locks).</param>
    protected async Task<TxId> PrepareInChildAndKillAsync(Operation[] operations, bool keepReadLocks = false)
    {
        var ops = ValueJson.Serialize(Value.List(operations.Select(o => o.ToValue()).ToImmutableArray()));
        await using var child = CrashHostProcess.Start(keepReadLocks ? "prepare-keeping-reads" : "prepare", CrashHostStore, Resource, ops);
        var line = await child.WaitForLineAsync(l => l.StartsWith("PREPARED ", StringComparison.Ordinal) || l.StartsWith("VOTE ", StringComparison.Ordinal), LongWait);
        Assert.StartsWith("PREPARED ", line);
        await child.KillAsync();
        return TxId.Parse(line["PREPARED ".Length..]);
    }

    /// <summary>Asserts that a writer of <paramref name="item"/> waits for a lock until its deadline, then aborts it.</summary>
    protected async Task AssertWriteBlockedAsync(ITransactionalEngine engine, string item)
    {
        var blocked = new TransactionContext(TxId.NewId(), DateTimeOffset.UtcNow.AddMilliseconds(300));
        var error = await Assert.ThrowsAsync<CohortException>(async () => await WriteAsync(engine, blocked, item, 9).WaitAsync(LongWait));
        Assert.Equal(ErrorCodes.LockTimeout, error.Code);
        await engine.AbortAsync(blocked.Id, default);
    }

    /// <summary>Asserts that <paramref name="task"/> is still waiting after giving it every chance to (wrongly) complete.</summary>
    protected static async Task AssertStillPendingAsync(Task task)
    {
        var winner = await Task.WhenAny(task, Task.Delay(TimeSpan.FromMilliseconds(200)));
        Assert.NotSame(task, winner);
    }

    /// <summary>The later of two timestamps.</summary>
    /// <summary>Phase one of <paramref name="tx"/>, with no coordinator recorded.</summary>
    protected static async Task<Vote> PrepareAsync(ITransactionalEngine engine, TransactionContext tx) =>
        await engine.PrepareAsync(tx.Id, new PrepareInfo(null), default);

    /// <summary>An engine opened with <paramref name="writes"/> committed (one transaction, one phase).</summary>
    protected async Task<ITransactionalEngine> OpenWithCommittedAsync(params (string Item, int N)[] writes)
    {
        var engine = await OpenEngineAsync();
        await CommitWritesAsync(engine, writes);
        return engine;
    }

    /// <summary>An engine opened and a transaction begun on it that wrote <paramref name="n"/> to <paramref name="item"/> (not committed).</summary>
    protected async Task<(ITransactionalEngine Engine, TransactionContext Tx)> OpenAndWriteAsync(string item = "a", int n = 1)
    {
        var engine = await OpenEngineAsync();
        var tx = Begin();
        await WriteAsync(engine, tx, item, n);
        return (engine, tx);
    }

    protected static HlcTimestamp Max(HlcTimestamp a, HlcTimestamp b) => a > b ? a : b;
}
