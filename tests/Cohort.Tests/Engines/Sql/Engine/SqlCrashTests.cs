using Cohort.Core;
using Cohort.Tests.TestSupport;

namespace Cohort.Tests.Engines.Sql.Engine;

/// <summary>Tables, indexes and a prepared transaction holding DDL survive killing the process that prepared it.</summary>
public sealed class SqlCrashTests
{
    [Fact]
    public async Task PreparedDdlAndRows_SurviveKill_ThenCommitMakesThemVisible()
    {
        using var directory = new TempDirectory();
        await using (var db = new SqlTestDatabase(directory))
        {
            await db.ScriptAsync("""
                CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT UNIQUE);
                INSERT INTO users VALUES (1, 'a@x'), (2, 'b@x')
                """);
        }

        var ops = """
            [{"sql":"CREATE TABLE audit (id BIGINT PRIMARY KEY, note TEXT)"},
             {"sql":"CREATE INDEX audit_note ON audit (note)"},
             {"sql":"INSERT INTO audit VALUES (1, 'created')"},
             {"sql":"UPDATE users SET email = $1 WHERE id = 2","params":["c@x"]},
             {"sql":"INSERT INTO users VALUES (3, 'd@x')"}]
            """;
        TxId prepared;
        await using (var child = CrashHostProcess.Start("prepare", directory.Path, "sql:test", ops.ReplaceLineEndings(" ")))
        {
            var line = await child.WaitForLineAsync(l => l.StartsWith("PREPARED ", StringComparison.Ordinal) || l.StartsWith("VOTE ", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            Assert.StartsWith("PREPARED ", line);
            await child.KillAsync();
            prepared = TxId.Parse(line["PREPARED ".Length..]);
        }

        await using var reopened = new SqlTestDatabase(directory);
        var engine = reopened.Engine;
        var pending = Assert.Single(engine.GetPrepared());
        Assert.Equal(prepared, pending.Id);

        // Still prepared: a snapshot before its prepare does not see it, one after it waits for the outcome, and its
        // locks are back, so a conflicting writer waits too.
        var before = new HlcTimestamp(pending.PrepareTimestamp.Value - 1);
        var old = await engine.ReadAsync(before, SqlTestDatabase.Sql("SELECT email FROM users ORDER BY id"), default);
        Assert.Equal(["a@x", "b@x"], new SqlResult(old).Lines);
        var waitingRead = reopened.QueryAsync("SELECT count(*) FROM users");
        var rival = SqlTestDatabase.Begin();
        var conflicting = reopened.InAsync(rival, "UPDATE users SET email = 'z@x' WHERE id = 2");
        var winner = await Task.WhenAny(conflicting, Task.Delay(200));
        Assert.NotSame(conflicting, winner);

        Assert.False(waitingRead.IsCompleted);
        await engine.CommitAsync(prepared, engine.Clock.Now(), default);
        // The read's snapshot predates the commit timestamp: once the outcome is known it sees the old rows.
        Assert.Equal(2, (await waitingRead.WaitAsync(TimeSpan.FromSeconds(30))).Scalar.AsInt64());
        await conflicting.WaitAsync(TimeSpan.FromSeconds(30));
        await engine.AbortAsync(rival.Id, default);

        Assert.Equal(["1|a@x", "2|c@x", "3|d@x"], (await reopened.QueryAsync("SELECT id, email FROM users ORDER BY id")).Lines);
        Assert.Equal(["created"], (await reopened.QueryAsync("SELECT note FROM audit WHERE note = 'created'")).Lines);
        Assert.Contains("audit_note", string.Join("\n", (await reopened.QueryAsync("EXPLAIN SELECT * FROM audit WHERE note = 'created'")).Lines));
        var duplicate = await Assert.ThrowsAsync<CohortException>(() => reopened.ExecAsync("INSERT INTO users VALUES (4, 'c@x')"));
        Assert.Equal(ErrorCodes.ConstraintViolation, duplicate.Code);
    }
}
