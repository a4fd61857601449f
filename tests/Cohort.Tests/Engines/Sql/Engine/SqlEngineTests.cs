namespace Cohort.Tests.Engines.Sql.Engine;

public sealed class SqlEngineTests : IAsyncLifetime
{
    private readonly SqlTestDatabase _db = new();

    public async Task InitializeAsync()
    {
        await _db.ScriptAsync("""
            CREATE TABLE users (id BIGINT PRIMARY KEY, name TEXT NOT NULL, city TEXT, age INTEGER);
            CREATE INDEX users_city ON users (city);
            CREATE TABLE orders (id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL, total DECIMAL(10, 2), status TEXT DEFAULT 'new');
            CREATE INDEX orders_user ON orders (user_id);
            INSERT INTO users VALUES (1, 'ann', 'oslo', 31), (2, 'bob', 'rome', 25), (3, 'cid', 'oslo', NULL), (4, 'dan', NULL, 40);
            INSERT INTO orders (id, user_id, total) VALUES (10, 1, 9.50), (11, 1, 20.00), (12, 2, 5.25), (13, 3, NULL)
            """);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task Select_WhereOrderLimit_ReturnsRowsInOrder()
    {
        var result = await _db.QueryAsync("SELECT id, name FROM users WHERE age > 20 ORDER BY age DESC LIMIT 2");
        Assert.Equal(["id", "name"], result.Columns);
        Assert.Equal(["4|dan", "1|ann"], result.Lines);
    }

    [Fact]
    public async Task Select_ThreeValuedLogic_NullComparisonsFilterOut()
    {
        Assert.Equal(["1", "2"], (await _db.QueryAsync("SELECT id FROM users WHERE age < 35 ORDER BY id")).Lines);
        Assert.Equal(["3"], (await _db.QueryAsync("SELECT id FROM users WHERE age IS NULL")).Lines);
        Assert.Equal(["4"], (await _db.QueryAsync("SELECT id FROM users WHERE NOT (city = 'oslo' OR city = 'rome') OR city IS NULL")).Lines);
    }

    [Fact]
    public async Task Join_InnerAndLeft_MatchPostgres()
    {
        var inner = await _db.QueryAsync("SELECT u.name, o.total FROM users u JOIN orders o ON o.user_id = u.id ORDER BY o.id");
        Assert.Equal(["ann|9.50", "ann|20.00", "bob|5.25", "cid|NULL"], inner.Lines);
        var left = await _db.QueryAsync("SELECT u.name, count(o.id) FROM users u LEFT JOIN orders o ON o.user_id = u.id GROUP BY u.name ORDER BY u.name");
        Assert.Equal(["ann|2", "bob|1", "cid|1", "dan|0"], left.Lines);
    }

    [Fact]
    public async Task GroupBy_HavingAndAggregates()
    {
        var result = await _db.QueryAsync("SELECT user_id, sum(total), count(*), max(total) FROM orders GROUP BY user_id HAVING count(*) > 1");
        Assert.Equal(["1|29.50|2|20.00"], result.Lines);
        var all = await _db.QueryAsync("SELECT count(*), count(age), min(age), avg(age) FROM users");
        Assert.Equal(4L, all.Rows[0][0].AsInt64());
        Assert.Equal(3L, all.Rows[0][1].AsInt64());
        Assert.Equal(25L, all.Rows[0][2].AsInt64());
        Assert.Equal(32m, all.Rows[0][3].AsDecimal());
        var empty = await _db.QueryAsync("SELECT count(*), sum(age) FROM users WHERE id > 100");
        Assert.Equal(["0|NULL"], empty.Lines);
    }

    [Fact]
    public async Task Subqueries_InExistsAndScalar_IncludingCorrelated()
    {
        Assert.Equal(["ann", "bob", "cid"], (await _db.QueryAsync("SELECT name FROM users WHERE id IN (SELECT user_id FROM orders) ORDER BY name")).Lines);
        Assert.Equal(["dan"], (await _db.QueryAsync("SELECT name FROM users u WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id)")).Lines);
        Assert.Equal(["ann|2", "bob|1"], (await _db.QueryAsync("SELECT name, (SELECT count(*) FROM orders o WHERE o.user_id = u.id) FROM users u WHERE id <= 2 ORDER BY id")).Lines);
    }

    [Fact]
    public async Task Distinct_CaseCastAndFunctions()
    {
        Assert.Equal(["NULL", "oslo", "rome"], (await _db.QueryAsync("SELECT DISTINCT city FROM users ORDER BY city NULLS FIRST")).Lines);
        Assert.Equal(["ANN|3|old"], (await _db.QueryAsync("SELECT upper(name), length(name), CASE WHEN age > 30 THEN 'old' ELSE 'young' END FROM users WHERE id = 1")).Lines);
        Assert.Equal(["31"], (await _db.QueryAsync("SELECT CAST(age AS TEXT) FROM users WHERE id = $1", 1)).Lines);
    }

    [Fact]
    public async Task UpdateDeleteReturning_ChangeRowsAndIndexes()
    {
        var updated = await _db.ExecAsync("UPDATE users SET city = 'paris', age = age + 1 WHERE city = 'oslo' RETURNING id, age");
        Assert.Equal(2, updated.Affected);
        Assert.Equal(["1|32", "3|NULL"], updated.Lines.Order().ToList());
        Assert.Empty((await _db.QueryAsync("SELECT id FROM users WHERE city = 'oslo'")).Rows);
        Assert.Equal(["1", "3"], (await _db.QueryAsync("SELECT id FROM users WHERE city = 'paris' ORDER BY id")).Lines);

        var deleted = await _db.ExecAsync("DELETE FROM orders WHERE user_id = 1 RETURNING id");
        Assert.Equal(2, deleted.Affected);
        Assert.Empty((await _db.QueryAsync("SELECT id FROM orders WHERE user_id = 1")).Rows);
    }

    [Fact]
    public async Task Insert_DefaultsOnConflictAndSelect()
    {
        Assert.Equal(["new"], (await _db.QueryAsync("SELECT status FROM orders WHERE id = 10")).Lines);
        var dup = await Assert.ThrowsAsync<CohortException>(() => _db.ExecAsync("INSERT INTO users VALUES (1, 'again', NULL, NULL)"));
        Assert.Equal(ErrorCodes.ConstraintViolation, dup.Code);
        Assert.Contains("users_pkey", dup.Message);

        Assert.Equal(0, (await _db.ExecAsync("INSERT INTO users VALUES (1, 'again', NULL, NULL) ON CONFLICT DO NOTHING")).Affected);
        await _db.ExecAsync("INSERT INTO users (id, name) VALUES (1, 'anna') ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name");
        Assert.Equal(["anna|oslo"], (await _db.QueryAsync("SELECT name, city FROM users WHERE id = 1")).Lines);

        await _db.ExecAsync("CREATE TABLE archive (id BIGINT, name TEXT)");
        Assert.Equal(2, (await _db.ExecAsync("INSERT INTO archive SELECT id, name FROM users WHERE city = 'oslo'")).Affected);
        Assert.Equal(["anna", "cid"], (await _db.QueryAsync("SELECT name FROM archive ORDER BY name")).Lines);
    }

    [Fact]
    public async Task UniqueIndex_RejectsDuplicatesButAllowsNulls()
    {
        await _db.ExecAsync("CREATE UNIQUE INDEX users_name ON users (name)");
        var e = await Assert.ThrowsAsync<CohortException>(() => _db.ExecAsync("INSERT INTO users (id, name) VALUES (9, 'ann')"));
        Assert.Contains("users_name", e.Message);
        await _db.ExecAsync("CREATE TABLE tags (id BIGINT PRIMARY KEY, tag TEXT UNIQUE)");
        await _db.ExecAsync("INSERT INTO tags VALUES (1, NULL), (2, NULL), (3, 'x')");
        await Assert.ThrowsAsync<CohortException>(() => _db.ExecAsync("UPDATE tags SET tag = 'x' WHERE id = 1"));
        Assert.Equal(3, (await _db.QueryAsync("SELECT count(*) FROM tags")).Scalar.AsInt64());
    }

    [Fact]
    public async Task Explain_ShowsIndexScanForIndexedEqualityAndRange_SeqScanOtherwise()
    {
        static string Plan(SqlResult r) => string.Join("\n", r.Lines);
        Assert.Contains("Index Scan using users_city on users", Plan(await _db.QueryAsync("EXPLAIN SELECT * FROM users WHERE city = 'oslo'")));
        Assert.Contains("Index Scan using users_pkey on users", Plan(await _db.QueryAsync("EXPLAIN SELECT * FROM users WHERE id BETWEEN 2 AND 3")));
        Assert.Contains("Index Scan using users_pkey on users", Plan(await _db.QueryAsync("EXPLAIN SELECT * FROM users WHERE id > $1", 1)));
        var full = Plan(await _db.QueryAsync("EXPLAIN SELECT * FROM users WHERE age = 31"));
        Assert.Contains("Seq Scan on users", full);
        Assert.DoesNotContain("Index Scan", full);
        Assert.Equal(["2", "3"], (await _db.QueryAsync("SELECT id FROM users WHERE id BETWEEN 2 AND 3 ORDER BY id")).Lines);
        Assert.Equal(["2", "3", "4"], (await _db.QueryAsync("SELECT id FROM users WHERE id > $1 ORDER BY id", 1)).Lines);
    }

    [Fact]
    public async Task Errors_AreClear()
    {
        var syntax = await Assert.ThrowsAnyAsync<CohortException>(() => _db.QueryAsync("SELECT id\nFROM users WHERE id = = 1"));
        Assert.Equal(ErrorCodes.SqlSyntax, syntax.Code);
        Assert.Contains("line 2", syntax.Message);
        Assert.Contains("\"=\"", syntax.Message);
        var table = await Assert.ThrowsAsync<CohortException>(() => _db.QueryAsync("SELECT * FROM nope"));
        Assert.Contains("relation \"nope\" does not exist", table.Message);
        var column = await Assert.ThrowsAsync<CohortException>(() => _db.QueryAsync("SELECT nope FROM users"));
        Assert.Contains("column \"nope\" does not exist", column.Message);
        var type = await Assert.ThrowsAsync<CohortException>(() => _db.ExecAsync("INSERT INTO users VALUES (7, 'eve', 'x', 'not a number')"));
        Assert.Contains("age", type.Message);
        var grouped = await Assert.ThrowsAsync<CohortException>(() => _db.QueryAsync("SELECT name, count(*) FROM users"));
        Assert.Contains("must appear in the GROUP BY clause", grouped.Message);
        var write = await Assert.ThrowsAsync<CohortException>(() => _db.QueryAsync("DELETE FROM users"));
        Assert.Equal(ErrorCodes.BadOperation, write.Code);
        Assert.Equal(4, (await _db.QueryAsync("SELECT count(*) FROM users")).Scalar.AsInt64());
    }

    [Fact]
    public async Task SeedPayload_MapsToParameterizedStatements_AndRefusesBadIdentifiers()
    {
        static Operation Payload(string json) => Operation.FromValue(ValueJson.Parse(json));
        async Task Run(string json)
        {
            var tx = SqlTestDatabase.Begin();
            await _db.Engine.ApplyAsync(tx, Payload(json), default);
            await _db.Engine.CommitOnePhaseAsync(tx.Id, _db.Engine.Clock.Now(), default);
        }

        await Run("""{"table":"users","operation":"insert","values":{"id":7,"name":"O'Brien; DROP TABLE users"}}""");
        await Run("""{"table":"users","operation":"update","values":{"city":"cork"},"where":{"id":7}}""");
        await Run("""{"table":"users","operation":"upsert","values":{"id":7,"name":"obi"},"where":{"id":7}}""");
        Assert.Equal(["obi|cork"], (await _db.QueryAsync("SELECT name, city FROM users WHERE id = 7")).Lines);
        await Run("""{"table":"users","operation":"delete","where":{"id":7}}""");
        Assert.Empty((await _db.QueryAsync("SELECT 1 FROM users WHERE id = 7")).Rows);

        var bad = await Assert.ThrowsAsync<CohortException>(() => Run("""{"table":"users; DROP TABLE x","operation":"insert","values":{"id":8}}"""));
        Assert.Equal(ErrorCodes.BadOperation, bad.Code);
        Assert.Contains("not a valid identifier", bad.Message);
        await Assert.ThrowsAsync<CohortException>(() => Run("""{"table":"users","operation":"insert","values":{"id) VALUES (1); --":8}}"""));
        await Assert.ThrowsAsync<CohortException>(() => Run("""{"table":"users","operation":"delete"}"""));
        Assert.Equal(4, (await _db.QueryAsync("SELECT count(*) FROM users")).Scalar.AsInt64());
    }

    [Fact]
    public async Task AsOf_ReadsThePast()
    {
        var before = _db.Engine.Clock.Now();
        await Task.Delay(5);
        await _db.ExecAsync("UPDATE users SET name = 'ANN' WHERE id = 1");
        await _db.ExecAsync("DELETE FROM users WHERE id = 2");
        Assert.Equal(["ANN"], (await _db.QueryAsync("SELECT name FROM users WHERE id = 1")).Lines);
        Assert.Equal(["ann"], (await _db.QueryAsync("SELECT name FROM users WHERE id = 1 AS OF $1", before.Value)).Lines);
        Assert.Equal(4, (await _db.QueryAsync("SELECT count(*) FROM users AS OF $1", before.Value)).Scalar.AsInt64());

        // Inside a read-write transaction too, without locks.
        var tx = SqlTestDatabase.Begin();
        Assert.Equal(["ann"], (await _db.InAsync(tx, "SELECT name FROM users WHERE id = 1 AS OF $1", before.Value)).Lines);
        Assert.Equal(0, _db.Engine.Locks.LockedSpaceCount);
        Assert.Equal(0, _db.Engine.Locks.LockedKeyCount);
        await _db.Engine.AbortAsync(tx.Id, default);

        var future = await Assert.ThrowsAsync<CohortException>(() => _db.QueryAsync("SELECT 1 FROM users AS OF '2999-01-01 00:00:00'"));
        Assert.Contains("future", future.Message);
    }

    [Fact]
    public async Task DropTable_OfSeveralTables_DropsAllOrNone()
    {
        var create = SqlTestDatabase.Begin();
        await _db.InAsync(create, "CREATE TABLE d1 (id BIGINT PRIMARY KEY)");
        await _db.InAsync(create, "CREATE TABLE d2 (id BIGINT PRIMARY KEY, v TEXT UNIQUE)");
        await _db.InAsync(create, "INSERT INTO d1 VALUES (1)");
        await _db.InAsync(create, "INSERT INTO d2 VALUES (1, 'a')");
        await _db.Engine.CommitOnePhaseAsync(create.Id, _db.Engine.Clock.Now(), default);

        // One missing table: nothing is dropped (the statement is refused as a whole).
        var refused = SqlTestDatabase.Begin();
        var missing = await Assert.ThrowsAsync<CohortException>(() => _db.InAsync(refused, "DROP TABLE d1, nope, d2"));
        Assert.Contains("table \"nope\" does not exist", missing.Message);
        Assert.Equal(["1"], (await _db.InAsync(refused, "SELECT id FROM d1")).Lines);
        await _db.Engine.AbortAsync(refused.Id, default);

        var drop = SqlTestDatabase.Begin();
        await _db.InAsync(drop, "DROP TABLE IF EXISTS d1, nope, d2 RESTRICT");
        await _db.Engine.CommitOnePhaseAsync(drop.Id, _db.Engine.Clock.Now(), default);
        await Assert.ThrowsAsync<CohortException>(() => _db.QueryAsync("SELECT * FROM d1"));
        await Assert.ThrowsAsync<CohortException>(() => _db.QueryAsync("SELECT * FROM d2"));

        // The names are free again, the unique index's too.
        var again = SqlTestDatabase.Begin();
        await _db.InAsync(again, "CREATE TABLE d2 (id BIGINT PRIMARY KEY, v TEXT UNIQUE)");
        await _db.InAsync(again, "INSERT INTO d2 VALUES (2, 'a')");
        await _db.Engine.CommitOnePhaseAsync(again.Id, _db.Engine.Clock.Now(), default);
        Assert.Equal(["2|a"], (await _db.QueryAsync("SELECT id, v FROM d2")).Lines);
        var twice = SqlTestDatabase.Begin();
        await _db.InAsync(twice, "DROP TABLE d2, D2");
        await _db.Engine.CommitOnePhaseAsync(twice.Id, _db.Engine.Clock.Now(), default);
        await Assert.ThrowsAsync<CohortException>(() => _db.QueryAsync("SELECT * FROM d2"));
    }

    [Fact]
    public async Task Ddl_RollsBackOnAbort()
    {
        var tx = SqlTestDatabase.Begin();
        await _db.InAsync(tx, "CREATE TABLE temp (id BIGINT PRIMARY KEY)");
        await _db.InAsync(tx, "INSERT INTO temp VALUES (1)");
        await _db.InAsync(tx, "DROP TABLE orders");
        await _db.InAsync(tx, "ALTER TABLE users ADD COLUMN email TEXT DEFAULT 'none'");
        Assert.Equal(["1"], (await _db.InAsync(tx, "SELECT id FROM temp")).Lines);
        Assert.Equal(["none"], (await _db.InAsync(tx, "SELECT email FROM users WHERE id = 1")).Lines);
        await _db.Engine.AbortAsync(tx.Id, default);

        await Assert.ThrowsAsync<CohortException>(() => _db.QueryAsync("SELECT * FROM temp"));
        Assert.Equal(4, (await _db.QueryAsync("SELECT count(*) FROM orders")).Scalar.AsInt64());
        await Assert.ThrowsAsync<CohortException>(() => _db.QueryAsync("SELECT email FROM users"));
    }

    [Fact]
    public async Task AlterTableAddColumn_OldRowsReadTheDefault()
    {
        await _db.ExecAsync("ALTER TABLE users ADD COLUMN score INTEGER DEFAULT 7");
        await _db.ExecAsync("INSERT INTO users (id, name, score) VALUES (5, 'eve', 1)");
        Assert.Equal(["1|7", "5|1"], (await _db.QueryAsync("SELECT id, score FROM users WHERE id IN (1, 5) ORDER BY id")).Lines);
        var e = await Assert.ThrowsAsync<CohortException>(() => _db.ExecAsync("ALTER TABLE users ADD COLUMN must TEXT NOT NULL"));
        Assert.Contains("contains null values", e.Message);
    }

    [Fact]
    public async Task TablesIndexesAndData_SurviveRestart()
    {
        await _db.ExecAsync("CREATE INDEX users_age ON users (age)");
        await _db.RestartAsync();
        Assert.Equal(["ann", "cid"], (await _db.QueryAsync("SELECT name FROM users WHERE city = 'oslo' ORDER BY name")).Lines);
        Assert.Contains("users_age", string.Join("\n", (await _db.QueryAsync("EXPLAIN SELECT * FROM users WHERE age = 40")).Lines));
        Assert.Equal(["dan"], (await _db.QueryAsync("SELECT name FROM users WHERE age = 40")).Lines);
        await _db.Engine.SnapshotAsync(default);
        await _db.RestartAsync();
        Assert.Equal(4, (await _db.QueryAsync("SELECT count(*) FROM orders")).Scalar.AsInt64());
    }
}
