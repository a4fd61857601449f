namespace Cohort.Engines.TestKit;

/// <content>Conflicting writers, lock waits, deadlines and read locks.</content>
public abstract partial class EngineConformanceTests
{
    [SkippableFact]
    public async Task PreparedReader_KeepsItsReadLockUntilCommit()
    {
        Requires(EngineCapabilities.ReadLocksUntilCommit);
        var engine = await OpenWithCommittedAsync(("a", 1));
        var reader = Begin();
        var writer = Begin();
        await engine.ApplyAsync(reader, Read("a"), default);
        await WriteAsync(engine, reader, "b", 1);
        var vote = await PrepareAsync(engine, reader);

        // Were the read lock dropped at prepare, this write could commit below the reader's commit timestamp.
        var write = WriteAsync(engine, writer, "a", 2);
        await AssertStillPendingAsync(write);
        await engine.CommitAsync(reader.Id, Max(vote.PrepareTimestamp, engine.Clock.Now()), default);
        await write.WaitAsync(LongWait);
        await engine.CommitOnePhaseAsync(writer.Id, engine.Clock.Now(), default);
        Assert.Equal(Expected("a", [1, 2]), await ReadInNewTransactionAsync(engine, "a"));
    }

    [SkippableFact]
    public async Task OlderWriter_WoundsYoungerHolder()
    {
        Requires(EngineCapabilities.WoundWait);
        var engine = await OpenWithCommittedAsync(("a", 1));
        var older = Begin();
        var younger = Begin();
        await WriteAsync(engine, younger, "a", 2);

        // The older transaction gets the item at once; the younger one is aborted.
        await WriteAsync(engine, older, "a", 3).WaitAsync(LongWait);
        var error = await Assert.ThrowsAsync<CohortException>(async () => await engine.ApplyAsync(younger, Read("a"), default));
        Assert.Equal(ErrorCodes.Wounded, error.Code);
        Assert.True(error.IsTransient);
        Assert.Equal(VoteKind.No, (await PrepareAsync(engine, younger)).Kind);

        await engine.CommitOnePhaseAsync(older.Id, engine.Clock.Now(), default);
        Assert.Equal(Expected("a", [1, 3]), await ReadInNewTransactionAsync(engine, "a"));
    }

    [Fact]
    public async Task YoungerWriter_WaitsForOlderHolder()
    {
        var engine = await OpenEngineAsync();
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
        var engine = await OpenEngineAsync();
        var older = Begin();
        var younger = Begin();
        await WriteAsync(engine, younger, "a", 1);
        var vote = await PrepareAsync(engine, younger);
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
        var engine = await OpenEngineAsync();
        var older = Begin();
        await WriteAsync(engine, older, "a", 1);
        var younger = new TransactionContext(TxId.NewId(), DateTimeOffset.UtcNow.AddMilliseconds(300));

        var error = await Assert.ThrowsAsync<CohortException>(async () => await WriteAsync(engine, younger, "a", 2).WaitAsync(LongWait));
        Assert.Equal(ErrorCodes.LockTimeout, error.Code);
        Assert.True(error.IsTransient);
        Assert.Equal(VoteKind.No, (await PrepareAsync(engine, younger)).Kind);
        await engine.CommitOnePhaseAsync(older.Id, engine.Clock.Now(), default);
        Assert.Equal(Expected("a", [1]), await ReadInNewTransactionAsync(engine, "a"));
    }

    [Fact]
    public async Task Abort_StopsAnOperationWaitingForALock()
    {
        var engine = await OpenWithCommittedAsync(("a", 1));
        var holder = Begin();
        await WriteAsync(engine, holder, "a", 2);
        var waiter = Begin();
        var waiting = WriteAsync(engine, waiter, "a", 3);
        await AssertStillPendingAsync(waiting);

        await engine.AbortAsync(waiter.Id, default).AsTask().WaitAsync(LongWait);
        var error = await Assert.ThrowsAsync<CohortException>(() => waiting.WaitAsync(LongWait));
        Assert.Equal(ErrorCodes.Aborted, error.Code);
        await engine.AbortAsync(holder.Id, default);
        Assert.Equal(Expected("a", [1]), await ReadInNewTransactionAsync(engine, "a"));
    }

    [Fact]
    public async Task Operation_AfterDeadline_IsRefusedAsExpired()
    {
        var engine = await OpenEngineAsync();
        var tx = new TransactionContext(TxId.NewId(), DateTimeOffset.UtcNow.AddSeconds(-1));
        var error = await Assert.ThrowsAsync<CohortException>(async () => await WriteAsync(engine, tx, "a", 1));
        Assert.Equal(ErrorCodes.Expired, error.Code);
    }

    [Fact]
    public async Task ConcurrentConflictingWriters_AllFinishAndCommittedWritesAreAllApplied()
    {
        var engine = await OpenEngineAsync();
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

        // Wound-wait (or PostgreSQL's deadlock detector) admits no deadlock, so with a 10 s deadline no wait may ever time out.
        Assert.Equal(0, timeouts);
        Assert.NotEmpty(committed);
        Assert.Equal(Expected("hot", committed), await ReadInNewTransactionAsync(engine, "hot"));
    }
}
