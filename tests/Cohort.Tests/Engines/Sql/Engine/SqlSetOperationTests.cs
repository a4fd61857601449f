using System.Diagnostics;

namespace Cohort.Tests.Engines.Sql.Engine;

/// <summary>UNION/INTERSECT/EXCEPT, VALUES, WITH [RECURSIVE] and CREATE TABLE AS through the engine, with PostgreSQL's answers.</summary>
public sealed class SqlSetOperationTests : IAsyncLifetime
{
    private readonly SqlTestDatabase _db = new();

    public async Task InitializeAsync()
    {
        await _db.ScriptAsync("""
            CREATE TABLE l (id INTEGER PRIMARY KEY, a INTEGER, b TEXT, n DECIMAL(6, 2));
            CREATE TABLE r (id INTEGER PRIMARY KEY, a INTEGER, b TEXT, n DECIMAL(6, 2));
            INSERT INTO l VALUES (1, 1, 'x', 1.50), (2, 2, 'y', 2.00), (3, 2, 'y', 2.00), (4, NULL, NULL, NULL), (5, 3, 'z', 0.25);
            INSERT INTO r VALUES (1, 2, 'y', 2.00), (2, 2, 'y', 2.00), (3, 2, 'y', 2.00), (4, NULL, NULL, NULL), (5, 4, 'w', 9.75);
            CREATE TABLE tree (id INTEGER PRIMARY KEY, parent INTEGER, name TEXT);
            INSERT INTO tree VALUES (1, NULL, 'root'), (2, 1, 'a'), (3, 1, 'b'), (4, 2, 'aa'), (5, 4, 'aaa'), (6, NULL, 'other')
            """);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private async Task<IReadOnlyList<string>> Lines(string sql) => (await _db.QueryAsync(sql)).Lines;

    private async Task<string> Error(string sql) => (await Assert.ThrowsAsync<CohortException>(() => _db.QueryAsync(sql))).Message;

    [Fact]
    public async Task Union_RemovesDuplicatesWithNullsEqual_UnionAllKeepsThem()
    {
        Assert.Equal(["1", "2", "3", "4", "NULL"], await Lines("SELECT a FROM l UNION SELECT a FROM r ORDER BY 1"));
        Assert.Equal(["1", "2", "2", "2", "2", "2", "3", "4", "NULL", "NULL"], await Lines("SELECT a FROM l UNION ALL SELECT a FROM r ORDER BY a"));
        Assert.Equal(["2|y", "NULL|NULL"], await Lines("SELECT a, b FROM l INTERSECT SELECT a, b FROM r ORDER BY a"));
    }

    [Fact]
    public async Task IntersectAndExceptAll_CountRowsAsMultisets()
    {
        // l has 2 twice, r three times: INTERSECT ALL keeps the smaller count, EXCEPT ALL the difference.
        Assert.Equal(["2", "2", "NULL"], await Lines("SELECT a FROM l INTERSECT ALL SELECT a FROM r ORDER BY 1"));
        Assert.Equal(["1", "3"], await Lines("SELECT a FROM l EXCEPT ALL SELECT a FROM r ORDER BY 1"));
        Assert.Equal(["2", "NULL"], await Lines("SELECT a FROM r EXCEPT ALL SELECT a FROM l WHERE a IS NOT NULL AND a <> 1 AND a <> 3 EXCEPT SELECT 4 ORDER BY 1"));
        Assert.Equal(["1", "3"], await Lines("SELECT a FROM l EXCEPT SELECT a FROM r ORDER BY 1"));
    }

    [Fact]
    public async Task Intersect_BindsTighterThanUnion_AndParenthesesRegroup()
    {
        Assert.Equal(["1", "2"], await Lines("SELECT 1 UNION SELECT 2 INTERSECT SELECT 2 ORDER BY 1"));
        Assert.Equal(["2"], await Lines("(SELECT 1 UNION SELECT 2) INTERSECT SELECT 2 ORDER BY 1"));
        Assert.Equal(["1"], await Lines("SELECT 1 UNION SELECT 2 EXCEPT SELECT 2"));
        Assert.Equal(["1", "2"], await Lines("SELECT 1 UNION (SELECT 2 EXCEPT SELECT 2) UNION SELECT 2 ORDER BY 1"));
    }

    [Fact]
    public async Task OrderByLimitOffset_ApplyToTheWholeOperation_ByNameOrPosition()
    {
        Assert.Equal(["4|w", "3|z"], await Lines("SELECT a AS k, b FROM l UNION SELECT a, b FROM r ORDER BY k DESC NULLS LAST LIMIT 2"));
        Assert.Equal(["y"], await Lines("SELECT b FROM l UNION SELECT b FROM r ORDER BY 1 LIMIT 1 OFFSET 2"));
        Assert.Equal(["1", "3", "4"], await Lines("(SELECT a FROM l ORDER BY a LIMIT 1) UNION ALL (SELECT a FROM r ORDER BY a DESC NULLS LAST LIMIT 1) UNION SELECT 3 ORDER BY 1"));
        Assert.Contains("does not exist", await Error("SELECT a FROM l UNION SELECT a FROM r ORDER BY nope"));
        Assert.Contains("ORDER BY position 2 is not in select list", await Error("SELECT a FROM l UNION SELECT a FROM r ORDER BY 2"));
        Assert.Contains("invalid UNION/INTERSECT/EXCEPT ORDER BY clause", await Error("SELECT a FROM l UNION SELECT a FROM r ORDER BY a + 1"));
    }

    [Fact]
    public async Task Mismatches_AreRefusedWithPostgresMessages()
    {
        Assert.Equal("each UNION query must have the same number of columns", await Error("SELECT a, b FROM l UNION SELECT a FROM r"));
        Assert.Equal("each EXCEPT query must have the same number of columns", await Error("SELECT a FROM l EXCEPT SELECT a, b FROM r"));
        Assert.Equal("UNION types text and integer cannot be matched", await Error("SELECT b FROM l UNION SELECT a FROM r"));
        Assert.Equal("INTERSECT types integer and boolean cannot be matched", await Error("SELECT 1 INTERSECT SELECT true"));
        Assert.Equal("VALUES types integer and text cannot be matched", await Error("VALUES (1), ('a'::text)"));
        Assert.Contains("invalid input syntax for type", await Error("SELECT 1 UNION SELECT 'a'"));
        Assert.Equal("UNION types text and integer cannot be matched", await Error("SELECT NULL UNION SELECT NULL UNION SELECT 1"));
    }

    [Fact]
    public async Task ResultTypes_WidenAsInPostgres()
    {
        // integer UNION numeric is numeric: the division is exact; '2' takes the other side's type.
        var rows = (await _db.QueryAsync("SELECT x / 2 FROM (SELECT a AS x FROM l WHERE id = 1 UNION SELECT 3.0) AS t ORDER BY 1")).Rows;
        Assert.Equal([0.5m, 1.5m], rows.Select(r => r[0].AsDecimal()));
        Assert.Equal(["1", "2"], await Lines("SELECT 1 UNION SELECT '2' ORDER BY 1"));
        Assert.Equal(ValueKind.Int64, (await _db.QueryAsync("SELECT NULL UNION SELECT 7")).Rows.Single(r => !r[0].IsNull)[0].Kind);
        Assert.Equal(["1"], await Lines("SELECT 1 UNION SELECT 1.00"));
    }

    [Fact]
    public async Task SetOperations_InSubqueriesDerivedTablesAndExists()
    {
        Assert.Equal(["1", "5"], await Lines("SELECT id FROM l WHERE a IN (SELECT a FROM r EXCEPT SELECT 2 UNION SELECT 1 UNION SELECT 3) ORDER BY id"));
        Assert.Equal(["2", "3"], await Lines("SELECT id FROM l WHERE EXISTS (SELECT a FROM r WHERE r.a = l.a INTERSECT SELECT 2) ORDER BY id"));
        Assert.Equal(["5|10"], await Lines("SELECT count(*), sum(a) FROM (SELECT a FROM l UNION SELECT a FROM r) AS u"));
        Assert.Equal(["2"], await Lines("SELECT ((SELECT 1) UNION (SELECT 2) ORDER BY 1 DESC LIMIT 1)"));
        Assert.Equal(["1|0", "2|2", "3|2", "4|3", "5|4"], await Lines("SELECT id, (SELECT max(x) FROM (SELECT a AS x FROM r WHERE r.id < l.id UNION SELECT l.id - 1) AS u) FROM l ORDER BY id"));
    }

    [Fact]
    public async Task Values_IsAQuery_WithColumnNamesOrderAndAliases()
    {
        var values = await _db.QueryAsync("VALUES (1, 'a'), (2, 'b')");
        Assert.Equal(["column1", "column2"], values.Columns);
        Assert.Equal(["1|a", "2|b"], values.Lines);
        Assert.Equal(["3", "2"], await Lines("VALUES (1), (3), (2) ORDER BY column1 DESC LIMIT 2"));
        Assert.Equal(["2|two"], await Lines("SELECT k, w FROM (VALUES (1, 'one'), (2, 'two')) AS v(k, w) WHERE k > 1"));
        Assert.Equal(["1|x", "5|z"], await Lines("SELECT l.id, v.w FROM l JOIN (VALUES (1, 'x'), (3, 'z')) AS v(k, w) ON l.a = v.k ORDER BY 1"));
        Assert.Equal(["1.5", "2"], await Lines("VALUES (1.5), (2) ORDER BY 1"));
        Assert.Equal(["1", "2", "3"], await Lines("SELECT a FROM l WHERE a < 3 UNION VALUES (3), (1) ORDER BY 1"));
        Assert.Contains("has 2 columns available but 3 columns specified", await Error("SELECT * FROM (VALUES (1, 2)) AS v(p, q, r)"));
        Assert.Throws<Cohort.Sql.Parsing.SqlSyntaxException>(() => Cohort.Sql.Parsing.Parser.Parse("VALUES (1, 2), (3)"));
    }

    [Fact]
    public async Task With_SeveralChainedAndReusedCtes()
    {
        Assert.Equal(["2|3", "3|4"], await Lines("WITH c AS (SELECT a FROM l WHERE a > 1), d AS (SELECT a, a + 1 AS b FROM c) SELECT DISTINCT a, b FROM d ORDER BY a"));
        Assert.Equal(["2|1", "3|2"], await Lines("WITH c(v) AS (SELECT DISTINCT a FROM l WHERE a IS NOT NULL) SELECT x.v, y.v FROM c x JOIN c y ON x.v = y.v + 1 ORDER BY 1"));
        Assert.Equal(["42"], await Lines("WITH l AS (SELECT 42 AS a) SELECT a FROM l"));
        Assert.Equal(["1", "5"], await Lines("SELECT id FROM l WHERE a IN (WITH c AS (SELECT a FROM r) SELECT 1 UNION SELECT 3 EXCEPT SELECT a FROM c) ORDER BY id"));
        Assert.Contains("has 1 columns available but 2 columns specified", await Error("WITH c(p, q) AS (SELECT 1) SELECT * FROM c"));
        Assert.Contains("does not exist", await Error("WITH c AS (SELECT * FROM missing) SELECT 1"));
    }

    [Fact]
    public async Task WithRecursive_CountsAndWalksTrees()
    {
        Assert.Equal(["5050"], await Lines("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 100) SELECT sum(n) FROM r"));
        Assert.Equal(["1|root|0", "2|a|1", "3|b|1", "4|aa|2", "5|aaa|3"], await Lines("""
            WITH RECURSIVE d AS (
                SELECT id, name, 0 AS depth FROM tree WHERE id = 1
                UNION ALL
                SELECT t.id, t.name, d.depth + 1 FROM tree t JOIN d ON t.parent = d.id)
            SELECT * FROM d ORDER BY id
            """));
        Assert.Equal(["1", "2", "4", "5"], await Lines("WITH RECURSIVE up AS (SELECT id, parent FROM tree WHERE id = 5 UNION SELECT t.id, t.parent FROM tree t JOIN up ON t.id = up.parent) SELECT id FROM up ORDER BY id"));

        // UNION (not ALL) stops when no step finds a new row; a LIMIT stops an endless one.
        Assert.Equal(["1", "2", "3", "4", "5", "6"], await Lines("WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT (n * 3) % 7 FROM r) SELECT n FROM r ORDER BY n"));
        Assert.Equal(["1", "2", "3"], await Lines("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r LIMIT 3"));
    }

    [Fact]
    public async Task WithRecursive_MalformedQueries_AreRefused()
    {
        Assert.Contains("non-recursive term", await Error("WITH RECURSIVE r(n) AS (SELECT n FROM r UNION ALL SELECT 1) SELECT * FROM r"));
        Assert.Contains("within a subquery", await Error("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT 2 WHERE EXISTS (SELECT 1 FROM r)) SELECT * FROM r"));
        Assert.Contains("more than once", await Error("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT a.n FROM r a JOIN r b ON a.n = b.n) SELECT * FROM r"));
        Assert.Contains("does not have the form", await Error("WITH RECURSIVE r(n) AS (SELECT 1 FROM r) SELECT * FROM r"));
        Assert.Contains("has type integer in non-recursive term but type numeric overall", await Error("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 0.5 FROM r WHERE n < 3) SELECT n FROM r"));
        Assert.Throws<Cohort.Sql.Parsing.SqlSyntaxException>(() => Cohort.Sql.Parsing.Parser.Parse("WITH c AS (DELETE FROM l RETURNING *) SELECT * FROM c"));
    }

    [Fact]
    public async Task WithRecursive_ThatNeverEnds_FailsWithAClearErrorInsteadOfExhaustingMemory()
    {
        var watch = Stopwatch.StartNew();
        var message = await Error("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r");
        Assert.Contains("recursive query \"r\" produced more than 2,000,000 rows", message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task CreateTableAs_TakesTheQueryColumnsAndTypes()
    {
        await _db.ExecAsync("CREATE TABLE c1 AS SELECT a, b FROM l UNION SELECT a, b FROM r");
        Assert.Equal(["1|x", "2|y", "3|z", "4|w", "NULL|NULL"], await Lines("SELECT * FROM c1 ORDER BY a"));

        // Column names from the list; types from the query (numeric division, integer division).
        var created = await _db.ExecAsync("CREATE TABLE c2 (k, v) AS SELECT a, n FROM l WHERE a IS NOT NULL");
        Assert.Equal(4, created.Affected);
        var rows = (await _db.QueryAsync("SELECT k / 2, v / 2 FROM c2 ORDER BY k, v DESC")).Rows;
        Assert.Equal([0L, 1L, 1L, 1L], rows.Select(r => r[0].AsInt64()));
        Assert.Equal([0.75m, 1m, 1m, 0.125m], rows.Select(r => r[1].AsDecimal()));
        Assert.Equal(["k", "v"], (await _db.QueryAsync("SELECT * FROM c2")).Columns);

        await _db.ExecAsync("CREATE TABLE c3 AS VALUES (1, 'one'), (2, NULL)");
        Assert.Equal(["1|one", "2|NULL"], await Lines("SELECT column1, column2 FROM c3 ORDER BY 1"));
        await _db.ExecAsync("CREATE TABLE c4 AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT n, 'x' AS t FROM r");
        Assert.Equal(["15|x5"], await Lines("SELECT sum(n), max(t || n) FROM c4"));
    }

    [Fact]
    public async Task CreateTableAs_IfNotExistsAndExisting()
    {
        await _db.ExecAsync("CREATE TABLE IF NOT EXISTS l AS SELECT 1 AS other");
        Assert.Equal(["id", "a", "b", "n"], (await _db.QueryAsync("SELECT * FROM l")).Columns);
        var e = await Assert.ThrowsAsync<CohortException>(() => _db.ExecAsync("CREATE TABLE l AS SELECT 1 AS other"));
        Assert.Contains("already exists", e.Message);
        e = await Assert.ThrowsAsync<CohortException>(() => _db.ExecAsync("CREATE TABLE c5 (p, q, r) AS SELECT 1, 2"));
        Assert.Contains("too many column names", e.Message);
        e = await Assert.ThrowsAsync<CohortException>(() => _db.QueryAsync("CREATE TABLE c6 AS SELECT 1"));
        Assert.Contains("run it in a transaction", e.Message);
    }

    [Fact]
    public async Task CreateTableAs_IsAtomicWithItsTransaction()
    {
        // Aborted: neither the table nor its rows remain.
        var tx = SqlTestDatabase.Begin();
        await _db.InAsync(tx, "CREATE TABLE gone AS SELECT id, a FROM l");
        Assert.Equal(["5"], (await _db.InAsync(tx, "SELECT count(*) FROM gone")).Lines);
        await _db.Engine.AbortAsync(tx.Id, default);
        Assert.Contains("does not exist", await Error("SELECT * FROM gone"));

        // A statement that fails part-way (the third row divides by zero) leaves no table behind in its transaction.
        tx = SqlTestDatabase.Begin();
        var e = await Assert.ThrowsAsync<CohortException>(() => _db.InAsync(tx, "CREATE TABLE half AS SELECT 10 / (3 - id) AS q FROM l"));
        Assert.Contains("division by zero", e.Message);
        await _db.InAsync(tx, "CREATE TABLE half AS SELECT 1 AS q");
        await _db.Engine.CommitOnePhaseAsync(tx.Id, _db.Engine.Clock.Now(), default);
        Assert.Equal(["1"], await Lines("SELECT q FROM half"));
    }

    [Fact]
    public async Task Explain_ShowsTheSetOperation()
    {
        var plan = string.Join("\n", await Lines("EXPLAIN SELECT a FROM l UNION SELECT a FROM r"));
        Assert.Contains("HashSetOp Union", plan);
        var recursive = string.Join("\n", await Lines("EXPLAIN WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT n FROM r"));
        Assert.Contains("Recursive Union on r All", recursive);
        Assert.Contains("WorkTable Scan on r", recursive);
    }
}
