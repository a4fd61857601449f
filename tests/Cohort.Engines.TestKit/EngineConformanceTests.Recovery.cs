namespace Cohort.Engines.TestKit;

/// <content>Crashes and restarts: prepared transactions survive a SIGKILL of their process, with their locks.</content>
public abstract partial class EngineConformanceTests
{
    [Fact]
    public async Task Prepare_KillRestart_Commit_AppliesTheWrites()
    {
        var txId = await PrepareInChildAndKillAsync([.. Write("a", 1), .. Write("b", 1)]);

        var engine = await OpenEngineAsync();
        var prepared = Assert.Single(engine.GetPrepared());
        Assert.Equal(txId, prepared.Id);

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
        engine = await OpenEngineAsync();
        Assert.Empty(engine.GetPrepared());
        Assert.Equal(Expected("a", [1]), await ReadInNewTransactionAsync(engine, "a"));
    }

    [SkippableFact]
    public async Task Prepare_KillRestart_RecoveredTransactionNamesItsCoordinator()
    {
        Requires(EngineCapabilities.RecoversCoordinator);
        var txId = await PrepareInChildAndKillAsync([.. Write("a", 1)]);

        var engine = await OpenEngineAsync();
        var prepared = Assert.Single(engine.GetPrepared());
        Assert.Equal(txId, prepared.Id);
        Assert.Equal("test-coordinator", prepared.Coordinator);
        await engine.AbortAsync(txId, default);
    }

    [Fact]
    public async Task Prepare_KillRestart_Abort_DiscardsTheWrites()
    {
        var txId = await PrepareInChildAndKillAsync([.. Write("a", 1)]);

        var engine = await OpenEngineAsync();
        Assert.Equal(txId, Assert.Single(engine.GetPrepared()).Id);
        await engine.AbortAsync(txId, default);
        Assert.Empty(engine.GetPrepared());
        Assert.Equal(Expected("a", []), await ReadInNewTransactionAsync(engine, "a"));

        await CloseAsync(engine);
        engine = await OpenEngineAsync();
        Assert.Empty(engine.GetPrepared());
        await CommitWritesAsync(engine, ("a", 2));
        Assert.Equal(Expected("a", [2]), await ReadInNewTransactionAsync(engine, "a"));
    }

    [Fact]
    public async Task Prepare_CloseEngine_ReopenedEngineListsBoth_AndCommitOrAbortSettlesEach()
    {
        var engine = await OpenEngineAsync();
        var commit = Begin();
        await WriteAsync(engine, commit, "c", 1);
        Assert.Equal(VoteKind.Yes, (await PrepareAsync(engine, commit)).Kind);
        var abort = Begin();
        await WriteAsync(engine, abort, "d", 1);
        Assert.Equal(VoteKind.Yes, (await PrepareAsync(engine, abort)).Kind);
        await CloseAsync(engine);

        engine = await OpenEngineAsync();
        Assert.Equal(new[] { commit.Id, abort.Id }.Order(), engine.GetPrepared().Select(p => p.Id).Order());
        await engine.CommitAsync(commit.Id, engine.Clock.Now(), default);
        await engine.AbortAsync(abort.Id, default);
        Assert.Empty(engine.GetPrepared());
        Assert.Equal(Expected("c", [1]), await ReadInNewTransactionAsync(engine, "c"));
        Assert.Equal(Expected("d", []), await ReadInNewTransactionAsync(engine, "d"));
    }

    [Fact]
    public async Task Restart_AfterCheckpointAndMoreCommits_RecoversEverythingIncludingPrepared()
    {
        var engine = await OpenWithCommittedAsync(("a", 1));
        var prepared = Begin();
        await WriteAsync(engine, prepared, "p", 1);
        var vote = await engine.PrepareAsync(prepared.Id, new PrepareInfo("c1"), default);
        Assert.Equal(VoteKind.Yes, vote.Kind);
        await CheckpointAsync(engine);
        await CommitWritesAsync(engine, ("b", 1));
        await CloseAsync(engine);

        engine = await OpenEngineAsync();
        Assert.Equal(prepared.Id, Assert.Single(engine.GetPrepared()).Id);
        Assert.Equal(Expected("a", [1]), await ReadInNewTransactionAsync(engine, "a"));
        Assert.Equal(Expected("b", [1]), await ReadInNewTransactionAsync(engine, "b"));
        await engine.CommitAsync(prepared.Id, Max(vote.PrepareTimestamp, engine.Clock.Now()), default);
        Assert.Equal(Expected("p", [1]), await ReadInNewTransactionAsync(engine, "p"));
    }

    [SkippableFact]
    public async Task PreparedWriter_KillRestart_StillHoldsTheReadLockOfWhatItOnlyRead()
    {
        Requires(EngineCapabilities.ReadLocksUntilCommit);
        var txId = await PrepareInChildAndKillAsync([Read("a"), .. Write("b", 1)]);

        // Were the read lock on "a" lost in the restart, a writer could commit "a" before the outcome arrives, and the
        // transaction then commit above it having read the older value.
        var engine = await OpenEngineAsync();
        var prepared = Assert.Single(engine.GetPrepared());
        Assert.False(prepared.ReadOnly);
        await AssertWriteBlockedAsync(engine, "a");

        await engine.CommitAsync(txId, Max(prepared.PrepareTimestamp, engine.Clock.Now()), default);
        await CommitWritesAsync(engine, ("a", 2));
        Assert.Equal(Expected("a", [2]), await ReadInNewTransactionAsync(engine, "a"));
        Assert.Equal(Expected("b", [1]), await ReadInNewTransactionAsync(engine, "b"));
    }

    [SkippableFact]
    public async Task ReadOnlyReaderKeepingItsLocks_KillRestart_StillHoldsThem_UntilTheOutcome()
    {
        Requires(EngineCapabilities.ReadLocksUntilCommit);
        await CloseAsync(await OpenWithCommittedAsync(("a", 1)));
        var txId = await PrepareInChildAndKillAsync([Read("a")], keepReadLocks: true);

        var engine = await OpenEngineAsync();
        var prepared = Assert.Single(engine.GetPrepared());
        Assert.Equal(txId, prepared.Id);
        Assert.True(prepared.ReadOnly);
        await AssertWriteBlockedAsync(engine, "a");

        await engine.CommitAsync(txId, Max(prepared.PrepareTimestamp, engine.Clock.Now()), default);
        Assert.Empty(engine.GetPrepared());
        await CommitWritesAsync(engine, ("a", 2));

        // The outcome is logged too: the transaction does not come back after another restart.
        await CloseAsync(engine);
        engine = await OpenEngineAsync();
        Assert.Empty(engine.GetPrepared());
        Assert.Equal(Expected("a", [1, 2]), await ReadInNewTransactionAsync(engine, "a"));
    }

    [SkippableFact]
    public async Task ReadOnlyReaderKeepingItsLocks_AcrossACheckpointAndRestart_HoldsThem_AndAbortReleasesThem()
    {
        Requires(EngineCapabilities.ReadLocksUntilCommit);
        var engine = await OpenWithCommittedAsync(("a", 1));
        var reader = Begin();
        await engine.ApplyAsync(reader, Read("a"), default);
        var vote = await engine.PrepareAsync(reader.Id, new PrepareInfo("c1", KeepReadLocks: true), default);
        Assert.Equal(VoteKind.ReadOnly, vote.Kind);
        Assert.True(vote.HoldsLocks);
        await CheckpointAsync(engine);
        await CloseAsync(engine);

        engine = await OpenEngineAsync();
        Assert.True(Assert.Single(engine.GetPrepared()).ReadOnly);
        await AssertWriteBlockedAsync(engine, "a");
        await engine.AbortAsync(reader.Id, default);
        Assert.Empty(engine.GetPrepared());
        await CommitWritesAsync(engine, ("a", 2));
        Assert.Equal(Expected("a", [1, 2]), await ReadInNewTransactionAsync(engine, "a"));

        await CloseAsync(engine);
        engine = await OpenEngineAsync();
        Assert.Empty(engine.GetPrepared());
    }
}
