using System.Globalization;

namespace Cohort.Tests.Engines.Sql.Engine;

/// <summary>
/// Tables, indexes and rows committed one-phase, and a prepared transaction holding DDL, survive killing (SIGKILL) the
/// process that wrote them.
/// </summary>
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

    [Fact]
    [Trait("Category", "Crash")]
    public async Task CommittedDdlAndRows_KillDuringCommitLoop_EveryAcknowledgedTableKeepsItsRowsIndexAndKey()
    {
        using var directory = new TempDirectory();

        // The child commits, one-phase, "CREATE TABLE t{i}; CREATE INDEX t{i}_k; INSERT two rows" per transaction and
        // prints "ACK i" once the commit returned. Kill it at a random point after a few acknowledgements.
        var target = Random.Shared.Next(5, 31);
        var acknowledged = new List<int>();
        var finished = false;
        void Record(string line)
        {
            if (line.StartsWith("ACK ", StringComparison.Ordinal))
            {
                acknowledged.Add(int.Parse(line["ACK ".Length..], CultureInfo.InvariantCulture));
            }

            finished |= line == "DONE";
        }

        await using (var child = CrashHostProcess.Start("sql-commit-loop", directory.Path, "sql:test"))
        {
            var acks = 0;
            await child.WaitForLineAsync(l => l.StartsWith("ACK ", StringComparison.Ordinal) && ++acks >= target, TimeSpan.FromSeconds(120), Record);
            await child.KillAsync();
            await child.DrainAsync(Record);
        }

        Assert.False(finished, "the child finished its loop before it was killed");
        Assert.True(acknowledged.Count >= target, $"{acknowledged.Count} acknowledgements, expected at least {target}");
        Assert.Equal(Enumerable.Range(0, acknowledged.Count), acknowledged);
        var last = acknowledged[^1];

        // Opening the directory again replays the log of a process that died mid-write; it must not throw.
        await using var db = new SqlTestDatabase(directory);
        foreach (var i in acknowledged)
        {
            await AssertCompleteAsync(db, i);
        }

        // The transaction in flight at the kill (at most one: the loop is sequential) is all there or not there at
        // all. When absent, nothing of it is left: the names are free and a new table of that name starts empty.
        var inFlight = last + 1;
        if (await ExistsAsync(db, inFlight))
        {
            await AssertCompleteAsync(db, inFlight);
        }
        else
        {
            await db.ScriptAsync($"CREATE TABLE t{inFlight} (id BIGINT PRIMARY KEY, k TEXT); CREATE INDEX t{inFlight}_k ON t{inFlight} (k)");
            Assert.Equal(0, (await db.QueryAsync($"SELECT count(*) FROM t{inFlight}")).Scalar.AsInt64());
            Assert.Empty((await db.QueryAsync($"SELECT id FROM t{inFlight} WHERE k = 'a{inFlight}'")).Lines);
        }

        Assert.False(await ExistsAsync(db, inFlight + 1), $"t{inFlight + 1} exists although its transaction never began before the kill");
    }

    /// <summary>Table t{i} has both rows, its index t{i}_k is used and finds exactly row 1, and its primary key holds.</summary>
    private static async Task AssertCompleteAsync(SqlTestDatabase db, int i)
    {
        Assert.Equal([$"1|a{i}", $"2|b{i}"], (await db.QueryAsync($"SELECT id, k FROM t{i} ORDER BY id")).Lines);
        var plan = string.Join("\n", (await db.QueryAsync($"EXPLAIN SELECT * FROM t{i} WHERE k = 'a{i}'")).Lines);
        Assert.Contains($"Index Scan using t{i}_k on t{i}", plan);
        Assert.Equal([$"1|a{i}"], (await db.QueryAsync($"SELECT id, k FROM t{i} WHERE k = 'a{i}'")).Lines);
        Assert.Equal(["2"], (await db.QueryAsync($"SELECT id FROM t{i} WHERE k = 'b{i}'")).Lines);
        var duplicate = await Assert.ThrowsAsync<CohortException>(() => db.ExecAsync($"INSERT INTO t{i} VALUES (1, 'dup{i}')"));
        Assert.Equal(ErrorCodes.ConstraintViolation, duplicate.Code);
    }

    private static async Task<bool> ExistsAsync(SqlTestDatabase db, int i)
    {
        try
        {
            await db.QueryAsync($"SELECT count(*) FROM t{i}");
            return true;
        }
        catch (CohortException e) when (e.Message.Contains($"relation \"t{i}\" does not exist", StringComparison.Ordinal))
        {
            return false;
        }
    }
}
