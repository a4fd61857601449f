namespace Cohort.Engines.TestKit;

/// <content>Lock-free snapshot reads (<see cref="ITransactionalEngine.ReadAsync"/>).</content>
public abstract partial class EngineConformanceTests
{
    [Fact]
    public async Task SnapshotRead_NeverBlocksAWriterAndNeverSeesUncommittedData()
    {
        var engine = await OpenWithCommittedAsync(("a", 1));
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
    public async Task SnapshotRead_BeforeThePrepareTimestamp_DoesNotWait()
    {
        var engine = await OpenWithCommittedAsync(("a", 1));
        var snapshot = engine.Clock.Now();
        var tx = Begin();
        await WriteAsync(engine, tx, "a", 2);
        var vote = await PrepareAsync(engine, tx);
        Assert.True(vote.PrepareTimestamp > snapshot);

        Assert.Equal(Expected("a", [1]), await engine.ReadAsync(snapshot, Read("a"), default).AsTask().WaitAsync(LongWait));
        await engine.AbortAsync(tx.Id, default);
    }

    [SkippableFact]
    public async Task SnapshotRead_DoesNotSeeLaterCommits()
    {
        Requires(EngineCapabilities.TimestampedSnapshots);
        var engine = await OpenWithCommittedAsync(("a", 1));
        var snapshot = engine.Clock.Now();
        await CommitWritesAsync(engine, ("a", 2));

        Assert.Equal(Expected("a", [1]), await engine.ReadAsync(snapshot, Read("a"), default));
        Assert.Equal(Expected("a", [1, 2]), await engine.ReadAsync(engine.Clock.Now(), Read("a"), default));
    }

    [SkippableFact]
    public async Task SnapshotRead_WaitsForPreparedWriteAtOrBeforeIt()
    {
        Requires(EngineCapabilities.TimestampedSnapshots);
        var engine = await OpenWithCommittedAsync(("a", 1));
        var tx = Begin();
        await WriteAsync(engine, tx, "a", 2);
        var vote = await PrepareAsync(engine, tx);
        var snapshot = engine.Clock.Now();
        Assert.True(vote.PrepareTimestamp <= snapshot);

        var read = engine.ReadAsync(snapshot, Read("a"), default).AsTask();
        await AssertStillPendingAsync(read);
        await engine.CommitAsync(tx.Id, vote.PrepareTimestamp, default);

        // Committed at or before the snapshot: the waiting read must see it.
        Assert.Equal(Expected("a", [1, 2]), await read.WaitAsync(LongWait));
    }

    [SkippableFact]
    public async Task SnapshotRead_AfterWaitingOnPreparedWriteCommittedLater_SeesTheOldValue()
    {
        Requires(EngineCapabilities.TimestampedSnapshots);
        var engine = await OpenWithCommittedAsync(("a", 1));
        var tx = Begin();
        await WriteAsync(engine, tx, "a", 2);
        var vote = await PrepareAsync(engine, tx);
        var snapshot = engine.Clock.Now();

        var read = engine.ReadAsync(snapshot, Read("a"), default).AsTask();
        await AssertStillPendingAsync(read);
        await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), default);

        Assert.Equal(Expected("a", [1]), await read.WaitAsync(LongWait));
        Assert.True(vote.PrepareTimestamp <= snapshot);
    }
}
