namespace Cohort.Tests.Engines.Sql.Engine;

/// <summary>
/// DATE, TIME, INTERVAL and UUID columns, the bitwise operators, ALTER TABLE DROP/RENAME (transactional and durable) and
/// the CREATE INDEX key forms, end to end through the engine.
/// </summary>
public sealed class SqlTypesAndAlterTests : IAsyncLifetime
{
    private readonly SqlTestDatabase _db = new();

    public async Task InitializeAsync()
    {
        await _db.ScriptAsync("""
            CREATE TABLE ev (id INTEGER PRIMARY KEY, d DATE, t TIME, ts TIMESTAMP, iv INTERVAL, u UUID, n INTEGER);
            CREATE INDEX ev_d ON ev (d DESC NULLS LAST);
            CREATE UNIQUE INDEX ev_u ON ev (u);
            CREATE INDEX ev_iv ON ev (iv);
            INSERT INTO ev VALUES (1, '2024-01-31', '12:34:56', '2024-01-31 12:34:56', '1 day 2 hours', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', 5);
            INSERT INTO ev VALUES (2, '2024-02-29', '00:00:00.5', '2024-02-29 23:59:59', '1 mon', '{00000000-0000-0000-0000-000000000001}', 12);
            INSERT INTO ev VALUES (3, NULL, NULL, NULL, NULL, NULL, NULL)
            """);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task Select_DateTimeColumns_PrintInPostgresTextForm()
    {
        var result = await _db.QueryAsync("SELECT d, t, ts, iv, u FROM ev WHERE id = 1");
        Assert.Equal(["2024-01-31|12:34:56|2024-01-31 12:34:56|1 day 02:00:00|a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"], result.Lines);
        Assert.Equal(["-1 days -02:00:00|1 mon 2 days|00:00:00"], (await _db.QueryAsync(
            "SELECT -INTERVAL '1 day 2 hours', INTERVAL '1 month 2 days', INTERVAL '0'")).Lines);
    }

    [Fact]
    public async Task Arithmetic_FollowsPostgres()
    {
        Assert.Equal(["2024-02-01|2024-01-30|29|2024-02-01 02:00:00|2024-02-27 12:34:56"], (await _db.QueryAsync(
            "SELECT d + 1, d - 1, DATE '2024-02-29' - d, d + iv, ts + INTERVAL '1 month' - INTERVAL '2 days' FROM ev WHERE id = 1")).Lines);
        Assert.Equal(["29 days 11:25:03|2 days 04:00:00|1 day 15:00:00|13:04:56|1 year 2 mons 3 days"], (await _db.QueryAsync(
            "SELECT TIMESTAMP '2024-02-29 23:59:59' - ts, iv * 2, iv * 1.5, t + INTERVAL '30 minutes', age(TIMESTAMP '2025-04-03', TIMESTAMP '2024-01-31') FROM ev WHERE id = 1")).Lines);
        Assert.Equal(["2024-03-31 00:00:00|2024-02-29 00:00:00"], (await _db.QueryAsync(
            "SELECT TIMESTAMP '2024-01-31' + INTERVAL '2 mons', DATE '2024-01-31' + INTERVAL '1 mon'")).Lines);
        var e = await Assert.ThrowsAsync<CohortException>(() => _db.QueryAsync("SELECT d + d FROM ev"));
        Assert.Contains("operator does not exist: date + date", e.Message);
        await Assert.ThrowsAsync<CohortException>(() => _db.QueryAsync("SELECT t < d FROM ev"));
    }

    [Fact]
    public async Task Functions_ExtractDatePartDateTrunc()
    {
        Assert.Equal(["2024|4|60|1|15.5"], (await _db.QueryAsync(
            "SELECT extract(year FROM d), extract(dow FROM d), date_part('doy', d), extract(month FROM iv), date_part('second', TIME '10:00:15.5') FROM ev WHERE id = 2")).Lines);
        Assert.Equal(["2024-02-26 00:00:00|2024-01-01 00:00:00|1 mon"], (await _db.QueryAsync(
            "SELECT date_trunc('week', ts), date_trunc('quarter', ts), date_trunc('day', iv) FROM ev WHERE id = 2")).Lines);
        Assert.Equal(["2024-02-29"], (await _db.QueryAsync("SELECT make_date(2024, 2, 29)")).Lines);
        Assert.Equal(36, (await _db.QueryAsync("SELECT length(gen_random_uuid()::text)")).Scalar.AsInt64());
        Assert.Equal(10, (await _db.QueryAsync("SELECT length(CURRENT_DATE::text)")).Scalar.AsInt64());
        var e = await Assert.ThrowsAsync<CohortException>(() => _db.QueryAsync("SELECT extract(hour FROM d) FROM ev"));
        Assert.Contains("not supported for type date", e.Message);
    }

    [Theory]
    [InlineData("SELECT '2023-02-29'::date", "date/time field value out of range")]
    [InlineData("SELECT 'tomorrowish'::date", "invalid input syntax for type date")]
    [InlineData("SELECT TIME '25:00'", "date/time field value out of range")]
    [InlineData("SELECT INTERVAL '1 fortnight'", "invalid input syntax for type interval")]
    [InlineData("SELECT 'a0eebc99-9c0b-4ef8-bb6d'::uuid", "invalid input syntax for type uuid")]
    public async Task MalformedLiterals_AreSqlErrors(string sql, string message)
    {
        var e = await Assert.ThrowsAsync<CohortException>(() => _db.QueryAsync(sql));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public async Task OrderingAndIndexes_UseTheTypesOrder()
    {
        Assert.Equal(["2", "1", "3"], (await _db.QueryAsync("SELECT id FROM ev ORDER BY iv DESC NULLS LAST")).Lines);
        Assert.Equal(["1"], (await _db.QueryAsync("SELECT id FROM ev WHERE iv = INTERVAL '26 hours'")).Lines);
        Assert.Equal(["1"], (await _db.QueryAsync("SELECT id FROM ev WHERE u = 'a0eebc999c0b4ef8bb6d6bb9bd380a11'")).Lines);
        Assert.Equal(["2"], (await _db.QueryAsync("SELECT id FROM ev WHERE d > '2024-02-01'")).Lines);
        var e = await Assert.ThrowsAsync<CohortException>(() => _db.ExecAsync("INSERT INTO ev (id, u) VALUES (9, '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}')"));
        Assert.Contains("ev_u", e.Message);
        await _db.ExecAsync("CREATE TABLE keyed (k DATE PRIMARY KEY, v INTEGER)");
        await _db.ExecAsync("INSERT INTO keyed VALUES ('2024-03-01', 1), ('2023-12-31', 2), ('2024-01-15', 3)");
        Assert.Equal(["2023-12-31|2", "2024-01-15|3"], (await _db.QueryAsync("SELECT k, v FROM keyed WHERE k < DATE '2024-02-01' ORDER BY k")).Lines);
    }

    [Fact]
    public async Task Bitwise_HasPostgresPrecedenceAndWidths()
    {
        Assert.Equal(["1|7|6|-6|16|-4|-2147483648|1|3"], (await _db.QueryAsync(
            "SELECT 5 & 3, 5 | 3, 5 # 3, ~5, 1 << 4, -8 >> 1, 1 << 31, 1 << 32, 1 + 2 & 3")).Lines);
        Assert.Equal(["-9223372036854775808|-32768"], (await _db.QueryAsync("SELECT 1::bigint << 63, 1::smallint << 15")).Lines);
        Assert.Equal(["1"], (await _db.QueryAsync("SELECT id FROM ev WHERE n & 1 = 1")).Lines);
        await Assert.ThrowsAsync<CohortException>(() => _db.QueryAsync("SELECT 1.5 & 1"));
    }

    [Fact]
    public async Task DropColumn_RewritesRowsAndDropsItsIndexes()
    {
        await _db.ExecAsync("ALTER TABLE ev DROP COLUMN d");
        Assert.Equal(["id", "t", "ts", "iv", "u", "n"], (await _db.QueryAsync("SELECT * FROM ev WHERE id = 1")).Columns);
        Assert.Equal(["1|5", "2|12", "3|NULL"], (await _db.QueryAsync("SELECT id, n FROM ev ORDER BY id")).Lines);
        await Assert.ThrowsAsync<CohortException>(() => _db.QueryAsync("SELECT d FROM ev"));
        await _db.ExecAsync("DROP INDEX IF EXISTS ev_d");
        await _db.ExecAsync("CREATE INDEX ev_d ON ev (n)");
        Assert.Equal(["2"], (await _db.QueryAsync("SELECT id FROM ev WHERE n = 12")).Lines);
        await _db.ExecAsync("ALTER TABLE ev DROP COLUMN IF EXISTS d");
        var e = await Assert.ThrowsAsync<CohortException>(() => _db.ExecAsync("ALTER TABLE ev DROP COLUMN d"));
        Assert.Contains("does not exist", e.Message);
        e = await Assert.ThrowsAsync<CohortException>(() => _db.ExecAsync("ALTER TABLE ev DROP COLUMN id"));
        Assert.Contains("primary key", e.Message);
        await _db.ExecAsync("CREATE TABLE solo (only_col INTEGER)");
        e = await Assert.ThrowsAsync<CohortException>(() => _db.ExecAsync("ALTER TABLE solo DROP COLUMN only_col"));
        Assert.Contains("only column", e.Message);
    }

    [Fact]
    public async Task DropColumn_ThenAddColumn_OldRowsReadTheNewDefault()
    {
        await _db.ExecAsync("ALTER TABLE ev DROP COLUMN t");
        await _db.ExecAsync("ALTER TABLE ev ADD COLUMN t TEXT DEFAULT 'later'");
        Assert.Equal(["1|5|later", "2|12|later", "3|NULL|later"], (await _db.QueryAsync("SELECT id, n, t FROM ev ORDER BY id")).Lines);
    }

    [Fact]
    public async Task AlterTable_RollsBackOnAbort()
    {
        var tx = SqlTestDatabase.Begin();
        await _db.InAsync(tx, "ALTER TABLE ev DROP COLUMN n");
        await _db.InAsync(tx, "ALTER TABLE ev RENAME COLUMN d TO day");
        await _db.InAsync(tx, "ALTER TABLE ev RENAME TO events");
        Assert.Equal(["2024-01-31"], (await _db.InAsync(tx, "SELECT day FROM events WHERE id = 1")).Lines);
        await _db.Engine.AbortAsync(tx.Id, default);
        Assert.Equal(["1|2024-01-31|5"], (await _db.QueryAsync("SELECT id, d, n FROM ev WHERE id = 1")).Lines);
        await Assert.ThrowsAsync<CohortException>(() => _db.QueryAsync("SELECT * FROM events"));
    }

    [Fact]
    public async Task RenameTableAndColumn_MoveRowsAndIndexes()
    {
        await _db.ExecAsync("ALTER TABLE ev RENAME COLUMN n TO num");
        await _db.ExecAsync("ALTER TABLE ev RENAME TO events");
        Assert.Equal(["2|12"], (await _db.QueryAsync("SELECT id, num FROM events WHERE num = 12")).Lines);
        Assert.Equal(["1"], (await _db.QueryAsync("SELECT id FROM events WHERE u = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'")).Lines);
        await Assert.ThrowsAsync<CohortException>(() => _db.QueryAsync("SELECT * FROM ev"));
        await _db.ExecAsync("INSERT INTO events (id, u) VALUES (4, '00000000-0000-0000-0000-000000000004')");
        var e = await Assert.ThrowsAsync<CohortException>(() => _db.ExecAsync("INSERT INTO events (id, u) VALUES (5, '00000000-0000-0000-0000-000000000004')"));
        Assert.Contains("ev_u", e.Message);
        await _db.ExecAsync("CREATE TABLE other (x INTEGER)");
        e = await Assert.ThrowsAsync<CohortException>(() => _db.ExecAsync("ALTER TABLE other RENAME TO events"));
        Assert.Contains("already exists", e.Message);
        e = await Assert.ThrowsAsync<CohortException>(() => _db.ExecAsync("ALTER TABLE events RENAME COLUMN id TO num"));
        Assert.Contains("already exists", e.Message);
    }

    [Fact]
    public async Task DropAndRename_SurviveRestartAndRecovery()
    {
        await _db.ExecAsync("ALTER TABLE ev DROP COLUMN t");
        await _db.ExecAsync("ALTER TABLE ev RENAME COLUMN n TO num");
        await _db.ExecAsync("ALTER TABLE ev RENAME TO events");
        await _db.RestartAsync();
        Assert.Equal(["1|2024-01-31|5", "2|2024-02-29|12", "3|NULL|NULL"], (await _db.QueryAsync("SELECT id, d, num FROM events ORDER BY id")).Lines);
        Assert.Equal(["2"], (await _db.QueryAsync("SELECT id FROM events WHERE d > '2024-02-01'")).Lines);
        await _db.Engine.SnapshotAsync(default);
        await _db.RestartAsync();
        Assert.Equal(["id", "d", "ts", "iv", "u", "num"], (await _db.QueryAsync("SELECT * FROM events WHERE id = 2")).Columns);
        Assert.Equal(["1"], (await _db.QueryAsync("SELECT id FROM events WHERE u = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'")).Lines);
        await Assert.ThrowsAsync<CohortException>(() => _db.QueryAsync("SELECT * FROM ev"));
    }

    [Fact]
    public async Task CreateIndex_DirectionsAndExpressions_AreAcceptedAndCorrect()
    {
        await _db.ExecAsync("CREATE TABLE words (id INTEGER PRIMARY KEY, s TEXT)");
        await _db.ExecAsync("INSERT INTO words VALUES (1, 'Apple'), (2, 'apple'), (3, 'Pear')");
        await _db.ExecAsync("CREATE INDEX words_lower ON words ((lower(s)))");
        await _db.ExecAsync("CREATE INDEX words_s ON words (s DESC NULLS FIRST, id ASC)");
        await _db.ExecAsync("INSERT INTO words VALUES (4, 'APPLE')");
        Assert.Equal(["1", "2", "4"], (await _db.QueryAsync("SELECT id FROM words WHERE lower(s) = 'apple' ORDER BY id")).Lines);
        Assert.Equal(["3"], (await _db.QueryAsync("SELECT id FROM words WHERE s = 'Pear'")).Lines);
        var e = await Assert.ThrowsAsync<CohortException>(() => _db.ExecAsync("CREATE UNIQUE INDEX words_u ON words ((lower(s)))"));
        Assert.Contains("expression", e.Message);
        e = await Assert.ThrowsAsync<CohortException>(() => _db.ExecAsync("CREATE INDEX words_now ON words ((now()))"));
        Assert.Contains("IMMUTABLE", e.Message);
        await Assert.ThrowsAsync<CohortException>(() => _db.ExecAsync("CREATE INDEX words_bad ON words ((lower(nope)))"));
        await _db.ExecAsync("DROP INDEX words_lower");
        await _db.ExecAsync("ALTER TABLE words DROP COLUMN s");
        Assert.Equal(4, (await _db.QueryAsync("SELECT count(*) FROM words")).Scalar.AsInt64());
    }
}
