using Cohort.Engines;

namespace Cohort.Tests.Engines;

/// <summary>A repeated one-phase commit (a coordinator retrying after a lost reply) must not turn a commit into "unknown".</summary>
public sealed class OutcomeMemoryTests
{
    [Fact]
    public async Task RepeatedOnePhaseCommit_AfterSnapshotAndRestart_StillReportsCommitted()
    {
        using var directory = new TempDirectory();
        var options = new EngineOptions { DataDirectory = directory.Path, MaintenanceInterval = Timeout.InfiniteTimeSpan };
        var tx = new TransactionContext(TxId.NewId(), DateTimeOffset.UtcNow.AddSeconds(30));
        var aborted = new TransactionContext(TxId.NewId(), DateTimeOffset.UtcNow.AddSeconds(30));
        await using (var engine = EngineFactory.Open("kv:outcomes", options))
        {
            await engine.ApplyAsync(tx, Operation.Create("put", ("key", "a"), ("value", 1)), default);
            await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), default);
            await engine.ApplyAsync(aborted, Operation.Create("put", ("key", "b"), ("value", 2)), default);
            await engine.AbortAsync(aborted.Id, default);
            await engine.SnapshotAsync(default);
        }

        await using var reopened = EngineFactory.Open("kv:outcomes", options);
        await reopened.CommitOnePhaseAsync(tx.Id, reopened.Clock.Now(), default);
        var lost = await Assert.ThrowsAsync<CohortException>(() => reopened.CommitOnePhaseAsync(aborted.Id, reopened.Clock.Now(), default).AsTask());
        Assert.Contains(lost.Code, new[] { ErrorCodes.UnknownTransaction, ErrorCodes.Aborted });
        Assert.Equal(Value.From(1L), await reopened.ReadAsync(reopened.Clock.Now(), Operation.Create("get", ("key", "a")), default));
    }
}
