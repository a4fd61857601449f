using Cohort.Engines;

namespace Cohort.Tests.Engines.Queue;

/// <summary>A prepared dequeue survives a crash with its item still reserved.</summary>
[Trait("Category", "Crash")]
public sealed class QueueCrashTests : IDisposable
{
    private const string Resource = "queue:crash";
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task PreparedDequeue_KillRestart_KeepsItsItemReservedUntilDecided(bool commit)
    {
        var options = new EngineOptions { DataDirectory = _directory.Path };
        await using (var engine = EngineFactory.Open(Resource, options))
        {
            var tx = new TransactionContext(TxId.NewId(), DateTimeOffset.UtcNow.AddSeconds(30));
            await engine.ApplyAsync(tx, Operation.Create("enqueue", ("queue", "q"), ("value", "first")), default);
            await engine.ApplyAsync(tx, Operation.Create("enqueue", ("queue", "q"), ("value", "second")), default);
            await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), default);
        }

        TxId prepared;
        await using (var child = CrashHostProcess.Start("prepare", _directory.Path, Resource, "[{\"dequeue\":{\"queue\":\"q\"}}]"))
        {
            var line = await child.WaitForLineAsync(l => l.StartsWith("PREPARED ", StringComparison.Ordinal) || l.StartsWith("VOTE ", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            Assert.StartsWith("PREPARED ", line);
            prepared = TxId.Parse(line["PREPARED ".Length..]);
            await child.KillAsync();
        }

        await using (var engine = EngineFactory.Open(Resource, options))
        {
            Assert.Equal(prepared, Assert.Single(engine.GetPrepared()).Id);

            // The head is still held by the recovered transaction: another dequeuer cannot take "first".
            var other = new TransactionContext(TxId.NewId(), DateTimeOffset.UtcNow.AddMilliseconds(300));
            var error = await Assert.ThrowsAsync<CohortException>(async () => await engine.ApplyAsync(other, Operation.Create("dequeue", ("queue", "q")), default).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(ErrorCodes.LockTimeout, error.Code);

            if (commit)
            {
                await engine.CommitAsync(prepared, engine.Clock.Now(), default);
            }
            else
            {
                await engine.AbortAsync(prepared, default);
            }

            var next = new TransactionContext(TxId.NewId(), DateTimeOffset.UtcNow.AddSeconds(30));
            var head = await engine.ApplyAsync(next, Operation.Create("dequeue", ("queue", "q")), default);
            await engine.CommitOnePhaseAsync(next.Id, engine.Clock.Now(), default);
            Assert.Equal(Value.From(commit ? "second" : "first"), head);
        }
    }
}
