namespace Cohort.Engines.TestKit;

/// <content>Prepare, votes, commit and abort: the outcomes and their idempotence.</content>
public abstract partial class EngineConformanceTests
{
    [Fact]
    public async Task PrepareThenCommit_MakesWritesVisibleToLaterTransactions()
    {
        var (engine, tx) = await OpenAndWriteAsync();
        var vote = await PrepareAsync(engine, tx);
        Assert.Equal(VoteKind.Yes, vote.Kind);
        await engine.CommitAsync(tx.Id, Max(vote.PrepareTimestamp, engine.Clock.Now()), default);

        Assert.Equal(Expected("a", [1]), await ReadInNewTransactionAsync(engine, "a"));
        Assert.Equal(Expected("a", [1]), await engine.ReadAsync(engine.Clock.Now(), Read("a"), default));
    }

    [Fact]
    public async Task CommitWithoutPrepare_CommitsInOnePhase()
    {
        var engine = await OpenWithCommittedAsync(("a", 1), ("b", 2));
        Assert.Equal(Expected("a", [1]), await ReadInNewTransactionAsync(engine, "a"));
        Assert.Equal(Expected("b", [2]), await ReadInNewTransactionAsync(engine, "b"));
    }

    [Fact]
    public async Task OnePhaseCommit_OfWorkLostInARestartBeforePrepare_FailsAndWritesNothing()
    {
        var (engine, tx) = await OpenAndWriteAsync();
        await CloseAsync(engine);

        engine = await OpenEngineAsync();
        var error = await Assert.ThrowsAsync<CohortException>(async () => await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), default));
        Assert.Equal(ErrorCodes.UnknownTransaction, error.Code);
        Assert.Equal(Expected("a", []), await ReadInNewTransactionAsync(engine, "a"));
    }

    [Fact]
    public async Task PhaseTwoCommit_OfAnUnpreparedTransaction_IsRefused()
    {
        var (engine, tx) = await OpenAndWriteAsync();
        var error = await Assert.ThrowsAsync<CohortException>(async () => await engine.CommitAsync(tx.Id, engine.Clock.Now(), default));
        Assert.Equal(ErrorCodes.NotActive, error.Code);
        await engine.AbortAsync(tx.Id, default);
        Assert.Equal(Expected("a", []), await ReadInNewTransactionAsync(engine, "a"));
    }

    [Fact]
    public async Task Operation_AfterAnAbortThatArrivedFirst_IsRefused()
    {
        var engine = await OpenEngineAsync();
        var tx = Begin();
        await engine.AbortAsync(tx.Id, default);
        var error = await Assert.ThrowsAsync<CohortException>(async () => await WriteAsync(engine, tx, "a", 1));
        Assert.Equal(ErrorCodes.Aborted, error.Code);
        Assert.Equal(0, ActiveTransactionCount(engine));
    }

    [Fact]
    public async Task MayHaveWritten_IsFalseWhileOnlyReading_TrueOnceWritten_AndTrueForAnUnknownTransaction()
    {
        var engine = await OpenWithCommittedAsync(("a", 1));
        var tx = Begin();
        Assert.Equal(Expected("a", [1]), await engine.ApplyAsync(tx, Read("a"), default));
        Assert.False(engine.MayHaveWritten(tx.Id));

        await WriteAsync(engine, tx, "b", 2);
        Assert.True(engine.MayHaveWritten(tx.Id));
        await engine.ApplyAsync(tx, Read("a"), default);
        Assert.True(engine.MayHaveWritten(tx.Id));
        await engine.AbortAsync(tx.Id, default);

        // Nothing known of it: the answer must not let a coordinator skip a writer's prepare.
        Assert.True(engine.MayHaveWritten(TxId.NewId()));
    }

    [Fact]
    public async Task TransactionReadsItsOwnWrites()
    {
        var engine = await OpenWithCommittedAsync(("a", 1));
        var tx = Begin();
        await WriteAsync(engine, tx, "a", 2);
        Assert.Equal(Expected("a", [1, 2]), await engine.ApplyAsync(tx, Read("a"), default));
        await engine.AbortAsync(tx.Id, default);
    }

    [Fact]
    public async Task Abort_DiscardsWrites()
    {
        var (engine, tx) = await OpenAndWriteAsync();
        await engine.AbortAsync(tx.Id, default);
        Assert.Equal(Expected("a", []), await ReadInNewTransactionAsync(engine, "a"));
    }

    [Fact]
    public async Task AbortAfterPrepare_DiscardsWritesAndReleasesLocks()
    {
        var (engine, tx) = await OpenAndWriteAsync();
        Assert.Equal(VoteKind.Yes, (await PrepareAsync(engine, tx)).Kind);
        await engine.AbortAsync(tx.Id, default);

        Assert.Empty(engine.GetPrepared());
        await CommitWritesAsync(engine, ("a", 2)); // would wait on a leaked lock
        Assert.Equal(Expected("a", [2]), await ReadInNewTransactionAsync(engine, "a"));
    }

    [Fact]
    public async Task Commit_IsIdempotent()
    {
        var (engine, tx) = await OpenAndWriteAsync();
        var vote = await PrepareAsync(engine, tx);
        var commitTs = Max(vote.PrepareTimestamp, engine.Clock.Now());
        await engine.CommitAsync(tx.Id, commitTs, default);
        await engine.CommitAsync(tx.Id, commitTs, default);

        // A repeated prepare (a retry whose first answer was lost) gets the same vote, even after the commit.
        Assert.Equal(VoteKind.Yes, (await PrepareAsync(engine, tx)).Kind);
        await engine.CommitAsync(tx.Id, commitTs, default);

        Assert.Equal(Expected("a", [1]), await ReadInNewTransactionAsync(engine, "a"));
    }

    [Fact]
    public async Task Abort_IsIdempotentAndCommitAfterAbortFails()
    {
        var (engine, tx) = await OpenAndWriteAsync();
        Assert.Equal(VoteKind.Yes, (await PrepareAsync(engine, tx)).Kind);
        await engine.AbortAsync(tx.Id, default);
        await engine.AbortAsync(tx.Id, default);

        var error = await Assert.ThrowsAsync<CohortException>(async () => await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), default));
        Assert.Equal(ErrorCodes.Aborted, error.Code);
        error = await Assert.ThrowsAsync<CohortException>(async () => await engine.CommitAsync(tx.Id, engine.Clock.Now(), default));
        Assert.Equal(ErrorCodes.Aborted, error.Code);
        Assert.Equal(VoteKind.No, (await PrepareAsync(engine, tx)).Kind);
        Assert.Equal(Expected("a", []), await ReadInNewTransactionAsync(engine, "a"));
        Assert.Equal(0, ActiveTransactionCount(engine));
    }

    [Fact]
    public async Task Abort_OfUnknownTransaction_Succeeds()
    {
        var engine = await OpenEngineAsync();
        await engine.AbortAsync(TxId.NewId(), default);
        var vote = await engine.PrepareAsync(TxId.NewId(), new PrepareInfo(null), default);
        Assert.Equal(VoteKind.No, vote.Kind);
    }

    [Fact]
    public async Task OperationsAfterAbort_AreRefused()
    {
        var (engine, tx) = await OpenAndWriteAsync();
        await engine.AbortAsync(tx.Id, default);
        var error = await Assert.ThrowsAsync<CohortException>(async () => await WriteAsync(engine, tx, "b", 1));
        Assert.Equal(ErrorCodes.Aborted, error.Code);
    }

    [Fact]
    public async Task ReadOnlyTransaction_VotesReadOnlyAndReleasesItsLocks()
    {
        var engine = await OpenWithCommittedAsync(("a", 1));
        var reader = Begin();
        Assert.Equal(Expected("a", [1]), await engine.ApplyAsync(reader, Read("a"), default));
        Assert.Equal(VoteKind.ReadOnly, (await PrepareAsync(engine, reader)).Kind);
        Assert.Empty(engine.GetPrepared());

        // A repeated prepare (a retry whose first answer was lost) gets the same vote.
        Assert.Equal(VoteKind.ReadOnly, (await PrepareAsync(engine, reader)).Kind);

        // A younger writer must not wait for the finished reader.
        await CommitWritesAsync(engine, ("a", 2));
        Assert.Equal(Expected("a", [1, 2]), await ReadInNewTransactionAsync(engine, "a"));
    }
}
