using System.Globalization;

namespace Cohort.Tests.Engines.Sql.Engine;

/// <summary>
/// A running statement stops when its transaction is aborted (by request here; a wound or an expiry take the same
/// path), rather than run on for minutes for a transaction that can no longer commit.
/// </summary>
public sealed class SqlStatementStopTests
{
    [Fact]
    public async Task AbortingATransaction_StopsItsRunningStatement_AndItsWritesAreGone()
    {
        await using var db = new SqlTestDatabase();
        foreach (var table in new[] { "a", "b", "c", "d" })
        {
            await db.ExecAsync($"CREATE TABLE {table} (x BIGINT PRIMARY KEY)");
            await db.ExecAsync($"INSERT INTO {table} VALUES " + string.Join(", ", Enumerable.Range(1, 200).Select(i => $"({i.ToString(CultureInfo.InvariantCulture)})")));
        }

        // Ten minutes to its deadline: only the abort can stop the statement in time.
        var tx = new TransactionContext(TxId.NewId(), DateTimeOffset.UtcNow.AddMinutes(10));
        await db.InAsync(tx, "INSERT INTO a VALUES (1000)");

        // 200^4 = 1.6 billion combinations, none matching: minutes of work.
        var running = Task.Run(() => db.InAsync(tx, "SELECT count(*) FROM a, b, c, d WHERE a.x + b.x + c.x + d.x < 0"));
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        Assert.False(running.IsCompleted, "the cross join ended on its own");

        await db.Engine.AbortAsync(tx.Id, default);
        var error = await Assert.ThrowsAsync<CohortException>(() => running.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(ErrorCodes.Aborted, error.Code);
        Assert.Contains("aborted by request", error.Message, StringComparison.Ordinal);

        // Its insert is gone with it, and the key is free for another transaction.
        Assert.Equal(["200"], (await db.QueryAsync("SELECT count(*) FROM a")).Lines);
        await db.ExecAsync("INSERT INTO a VALUES (1000)");
        Assert.Equal(["201"], (await db.QueryAsync("SELECT count(*) FROM a")).Lines);
    }
}
