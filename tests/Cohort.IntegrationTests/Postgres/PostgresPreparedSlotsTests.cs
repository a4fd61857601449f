using Cohort.Core;
using Cohort.IntegrationTests.Harness;
using Cohort.Postgres;

namespace Cohort.IntegrationTests.Postgres;

/// <summary>
/// A PREPARE beyond the server's <c>max_prepared_transactions</c> waits, within its transaction's deadline, for a
/// prepared transaction to finish (phase two frees the slot), instead of failing with 53200 and losing the transaction;
/// one whose deadline passes first is refused with the reason and leaves nothing prepared. Both prepare paths, against a
/// real PostgreSQL 15 started with three slots.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Category", "Postgres")]
public sealed class PostgresPreparedSlotsTests
{
    private static readonly PrepareInfo Info = new(null);

    [Fact]
    public async Task PrepareWithEverySlotHeld_WaitsForAPhaseTwo_OrIsRefusedAtItsDeadline()
    {
        await using var server = await PostgresServer.StartAsync(maxPreparedTransactions: 3);
        var database = await server.CreateDatabaseAsync("slots");
        await server.ExecuteAsync(database, "CREATE TABLE items (id text PRIMARY KEY, v bigint NOT NULL)");
        await using var engine = await PostgresEngine.OpenAsync("pg:slots", new PostgresOptions
        {
            ConnectionString = server.ConnectionString(database),
            RecoveryInterval = Timeout.InfiniteTimeSpan,
        });

        // Three prepared transactions hold every slot of the server.
        var held = await PrepareWritesAsync(engine, "k", 3);

        // A fourth waits rather than failing with "maximum number of prepared transactions reached"...
        var fourth = Begin(TimeSpan.FromSeconds(60));
        await engine.ApplyAsync(fourth, Write("k3", 3), default);
        var waiting = engine.PrepareAsync(fourth.Id, Info, default).AsTask();
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.False(waiting.IsCompleted, "the fourth prepare ended while every slot was held");

        // ...and prepares once a phase two frees a slot.
        await engine.CommitAsync(held[0], engine.Clock.Now(), default);
        Assert.Equal(VoteKind.Yes, (await waiting.WaitAsync(TimeSpan.FromSeconds(30))).Kind);
        Assert.Equal(3, (await PreparedGidsAsync(server, database)).Count);

        // With every slot held again, a prepare whose transaction's deadline passes first votes No, saying why; so does
        // one whose caller gives up.
        var fifth = Begin(TimeSpan.FromSeconds(1));
        await engine.ApplyAsync(fifth, Write("k4", 4), default);
        var late = await engine.PrepareAsync(fifth.Id, Info, default).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(VoteKind.No, late.Kind);
        Assert.StartsWith(ErrorCodes.Unavailable + ":", late.Reason, StringComparison.Ordinal);
        Assert.Contains("max_prepared_transactions 3", late.Reason, StringComparison.Ordinal);
        var abandoned = Begin(TimeSpan.FromSeconds(60));
        await engine.ApplyAsync(abandoned, Write("k4", 4), default);
        using (var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
        {
            var vote = await engine.PrepareAsync(abandoned.Id, Info, soon.Token);
            Assert.Equal(VoteKind.No, vote.Kind);
            Assert.Contains("max_prepared_transactions 3", vote.Reason, StringComparison.Ordinal);
        }

        // So does the pipelined path (statement, audit row and PREPARE in one round trip) at its transaction's deadline.
        var sixth = Begin(TimeSpan.FromMilliseconds(400));
        var refused = await Assert.ThrowsAsync<CohortException>(async () => await engine.ApplyAndPrepareAsync(sixth, [Write("k5", 5)], Info, default));
        Assert.Equal(ErrorCodes.Unavailable, refused.Code);
        Assert.Contains("max_prepared_transactions 3", refused.Message, StringComparison.Ordinal);

        // Neither left anything prepared or written; the held ones commit, after which the table has every committed row.
        Assert.Equal(3, (await PreparedGidsAsync(server, database)).Count);
        foreach (var tx in held.Skip(1).Append(fourth.Id))
        {
            await engine.CommitAsync(tx, engine.Clock.Now(), default);
        }

        Assert.Empty(await PreparedGidsAsync(server, database));
        Assert.Equal(["k0", "k1", "k2", "k3"], (await server.QueryAsync(database, "SELECT id FROM items ORDER BY id")).Cast<string>());
    }

    [Fact]
    public async Task AnEngineAbandonedWithoutDisposal_DoesNotHoldTheSlotsItsSuccessorRecoveredAndFinished()
    {
        await using var server = await PostgresServer.StartAsync(maxPreparedTransactions: 3);
        var database = await server.CreateDatabaseAsync("abandoned");
        await server.ExecuteAsync(database, "CREATE TABLE items (id text PRIMARY KEY, v bigint NOT NULL)");
        var options = new PostgresOptions { ConnectionString = server.ConnectionString(database), RecoveryInterval = Timeout.InfiniteTimeSpan };

        // The first engine prepares two transactions and is then left behind (a crash, as far as it knows), still counting them.
        await using var abandoned = await PostgresEngine.OpenAsync("pg:abandoned", options);
        var first = await PrepareWritesAsync(abandoned, "a", 2);

        // Its successor finds them prepared and finishes them: every slot of the server is free again.
        await using var successor = await PostgresEngine.OpenAsync("pg:abandoned", options);
        Assert.Equal(first.Order(), successor.GetPrepared().Select(p => p.Id).Order());
        foreach (var tx in first)
        {
            await successor.CommitAsync(tx, successor.Clock.Now(), default);
        }

        Assert.Empty(await PreparedGidsAsync(server, database));

        // All three slots can be taken, though this process's own count (the abandoned engine's two, plus these) says
        // they are full: the server is asked before anyone waits.
        for (var i = 0; i < 3; i++)
        {
            var tx = Begin(TimeSpan.FromSeconds(60));
            await successor.ApplyAsync(tx, Write($"b{i}", i), default);
            using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var vote = await successor.PrepareAsync(tx.Id, Info, bounded.Token);
            Assert.True(vote.Kind == VoteKind.Yes, $"prepare {i}: {vote.Kind} {vote.Reason}");
        }

        Assert.Equal(3, (await PreparedGidsAsync(server, database)).Count);
    }

    // Prepares count transactions, each writing one row (prefix0, prefix1, …), which must all vote Yes.
    private static async Task<List<TxId>> PrepareWritesAsync(PostgresEngine engine, string prefix, int count)
    {
        var prepared = new List<TxId>();
        for (var i = 0; i < count; i++)
        {
            var tx = Begin(TimeSpan.FromSeconds(60));
            await engine.ApplyAsync(tx, Write(prefix + i, i), default);
            Assert.Equal(VoteKind.Yes, (await engine.PrepareAsync(tx.Id, Info, default)).Kind);
            prepared.Add(tx.Id);
        }

        return prepared;
    }

    private static async Task<List<string>> PreparedGidsAsync(PostgresServer server, string database) =>
        [.. (await server.QueryAsync("postgres", "SELECT gid FROM pg_prepared_xacts WHERE database = $1 ORDER BY gid", database)).Cast<string>()];

    private static TransactionContext Begin(TimeSpan timeout) => new(TxId.NewId(), DateTimeOffset.UtcNow + timeout);

    private static Operation Write(string item, int n) => Sql("INSERT INTO items (id, v) VALUES ($1, $2)", item, n);

    private static Operation Sql(string text, params Value[] parameters) =>
        Operation.Create("sql", ("sql", text), ("params", Value.List(parameters)));
}
