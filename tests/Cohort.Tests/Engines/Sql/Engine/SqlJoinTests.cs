namespace Cohort.Tests.Engines.Sql.Engine;

/// <summary>
/// Joins planned as joins: WHERE conjuncts pushed to the items they read, equalities hashed or looked up through a
/// key, a greedy join order, the FROM clause's column order kept; RIGHT and FULL joins; NULL and mixed-type keys.
/// </summary>
public sealed class SqlJoinTests : IAsyncLifetime
{
    private readonly SqlTestDatabase _db = new();

    public async Task InitializeAsync()
    {
        await _db.ScriptAsync("""
            CREATE TABLE a (id INTEGER PRIMARY KEY, k INTEGER, s TEXT);
            CREATE TABLE b (id INTEGER PRIMARY KEY, k INTEGER, n DECIMAL(6, 1));
            CREATE TABLE c (id BIGINT PRIMARY KEY, k BIGINT);
            INSERT INTO a VALUES (1, 1, 'x'), (2, 2, 'y'), (3, NULL, 'z'), (4, 4, NULL);
            INSERT INTO b VALUES (10, 1, 1.0), (11, 2, 2.5), (12, NULL, NULL), (13, 5, 4.0);
            INSERT INTO c VALUES (1, 10), (2, 11), (4, 99)
            """);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private async Task<string[]> PlanAsync(string sql) => [.. (await _db.QueryAsync("EXPLAIN " + sql)).Lines];

    // A chain of `tables` tables of `rows` rows each, t{i}.a{i} = t{i+1}.b{i+1}, and its comma join.
    private async Task<string> ChainAsync(int tables, int rows)
    {
        for (var t = 1; t <= tables; t++)
        {
            await _db.ExecAsync($"CREATE TABLE t{t} (a{t} INTEGER, b{t} INTEGER, x{t} TEXT)");
            await _db.ExecAsync($"INSERT INTO t{t} VALUES " + string.Join(", ", Enumerable.Range(1, rows).Select(i => $"({i}, {(i % rows) + 1}, 'r{i}')")));
        }

        var from = string.Join(", ", Enumerable.Range(1, tables).Select(t => $"t{t}"));
        var where = string.Join(" AND ", Enumerable.Range(1, tables - 1).Select(t => $"a{t} = b{t + 1}"));
        return $"SELECT count(*) FROM {from} WHERE {where}";
    }

    [Theory]
    [InlineData(5, 100)]
    [InlineData(9, 10)]
    public async Task CommaJoinChain_IsPlannedAsHashJoins_WithNoCrossProductOrFilterOnTop(int tables, int rows)
    {
        var sql = await ChainAsync(tables, rows);
        var plan = await PlanAsync(sql);
        Assert.Equal(tables - 1, plan.Count(l => l.Contains("Hash Join", StringComparison.Ordinal)));
        Assert.DoesNotContain(plan, l => l.Contains("Nested Loop", StringComparison.Ordinal) || l.Contains("Filter", StringComparison.Ordinal));
        Assert.Equal(rows, (await _db.QueryAsync(sql)).Scalar.AsInt64());
    }

    [Fact]
    public async Task SingleTableConjuncts_FilterTheirScan_AndChooseItsIndex()
    {
        var plan = await PlanAsync("SELECT * FROM a, b WHERE a.k = b.k AND a.id = 2 AND b.n > 1");
        Assert.Contains(plan, l => l.Contains("Index Scan using a_pkey on a", StringComparison.Ordinal));
        Assert.Contains(plan, l => l.Contains("Filter: b.n > 1", StringComparison.Ordinal));
        Assert.Equal(["2|2|y|11|2|2.5"], (await _db.QueryAsync("SELECT * FROM a, b WHERE a.k = b.k AND a.id = 2 AND b.n > 1")).Lines);
    }

    [Fact]
    public async Task SelectStar_KeepsTheFromOrder_WhenTheSmallItemIsJoinedFirst()
    {
        // The filtered c is the smallest item and is planned first; the columns still come in FROM order.
        const string sql = "SELECT * FROM a, b, c WHERE a.k = b.k AND c.k = b.id AND c.id = 1";
        Assert.Equal(["id", "k", "s", "id", "k", "n", "id", "k"], (await _db.QueryAsync(sql)).Columns);
        Assert.Equal(["1|1|x|10|1|1.0|1|10"], (await _db.QueryAsync(sql)).Lines);
        Assert.Equal(["11|2|2"], (await _db.QueryAsync("SELECT c.k, b.k, a.id FROM a JOIN b ON a.k = b.k JOIN c ON c.k = b.id WHERE c.id = 2")).Lines);
    }

    [Fact]
    public async Task EqualityOnAPrimaryKey_IsLookedUp_WhileTheOtherSideIsSmall()
    {
        const string sql = "SELECT a.s, c.k FROM c, a WHERE a.id = c.id AND c.k > 10 ORDER BY c.k";
        Assert.Contains(await PlanAsync(sql), l => l.Contains("index lookups", StringComparison.Ordinal));
        Assert.Equal(["y|11", "NULL|99"], (await _db.QueryAsync(sql)).Lines);
        Assert.Equal(["x|10", "y|11"], (await _db.QueryAsync("SELECT a.s, c.k FROM c JOIN a ON a.id = c.id WHERE c.k < 50 ORDER BY c.k")).Lines);
    }

    [Fact]
    public async Task LookupJoin_BeyondItsLimit_HashJoinsTheRest_WithTheSameRows()
    {
        await _db.ExecAsync("CREATE TABLE big (id INTEGER PRIMARY KEY, v INTEGER)");
        await _db.ExecAsync("CREATE TABLE probe (p INTEGER, q INTEGER)");
        await _db.ExecAsync("INSERT INTO big VALUES " + string.Join(", ", Enumerable.Range(1, 3000).Select(i => $"({i}, {i % 7})")));
        await _db.ExecAsync("INSERT INTO probe VALUES " + string.Join(", ", Enumerable.Range(1, 2500).Select(i => $"({i}, {i % 3})")));
        const string sql = "SELECT count(*), sum(big.v) FROM probe, big WHERE big.id = probe.p AND probe.q = 1";
        Assert.Contains(await PlanAsync(sql), l => l.Contains("index lookups", StringComparison.Ordinal));
        var expected = Enumerable.Range(1, 2500).Where(i => i % 3 == 1).ToList();
        Assert.Equal([$"{expected.Count}|{expected.Sum(i => i % 7)}"], (await _db.QueryAsync(sql)).Lines);
        var all = Enumerable.Range(1, 2500).ToList();
        Assert.Equal([$"{all.Count}|{all.Sum(i => i % 7)}"], (await _db.QueryAsync("SELECT count(*), sum(big.v) FROM probe, big WHERE big.id = probe.p")).Lines);
    }

    [Fact]
    public async Task RightJoin_KeepsEveryRightRow_WithLeftColumnsFirst()
    {
        Assert.Equal(
            ["1|x|1", "2|y|2", "NULL|NULL|NULL", "NULL|NULL|5"],
            (await _db.QueryAsync("SELECT a.id, a.s, b.k FROM a RIGHT JOIN b ON a.k = b.k ORDER BY b.id")).Lines);
        Assert.Equal(
            ["1|1|x|10|1|1.0", "NULL|NULL|NULL|12|NULL|NULL"],
            (await _db.QueryAsync("SELECT * FROM a RIGHT OUTER JOIN b ON a.k = b.k WHERE b.id IN (10, 12) ORDER BY b.id")).Lines);
    }

    [Fact]
    public async Task FullJoin_NullExtendsBothSides_AndNullKeysNeverMatch()
    {
        Assert.Equal(
            ["1|10", "2|11", "3|NULL", "4|NULL", "NULL|12", "NULL|13"],
            (await _db.QueryAsync("SELECT a.id, b.id FROM a FULL JOIN b ON a.k = b.k ORDER BY a.id, b.id")).Lines);
        Assert.Equal(
            ["6"],
            (await _db.QueryAsync("SELECT count(*) FROM a FULL OUTER JOIN b ON a.k = b.k")).Lines);
        Assert.Equal(
            ["3|NULL", "NULL|12", "NULL|13"],
            (await _db.QueryAsync("SELECT a.id, b.id FROM a FULL JOIN b ON a.k = b.k WHERE a.k IS NULL OR b.k IS NULL AND b.id < 13 ORDER BY a.id, b.id")).Lines);
    }

    [Theory]
    [InlineData("a.k < b.k")]
    [InlineData("a.k = b.k OR a.id = b.id")]
    [InlineData("a.k + b.k = 3")]
    public async Task FullJoin_OnAConditionThatIsNotAnEquality_IsRefusedAsInPostgres(string condition)
    {
        var error = await Assert.ThrowsAnyAsync<CohortException>(() => _db.QueryAsync($"SELECT * FROM a FULL JOIN b ON {condition}"));
        Assert.Contains("FULL JOIN is only supported with merge-joinable or hash-joinable join conditions", error.Message, StringComparison.Ordinal);

        // Conditions on one side only, or none, or others beside an equality are fine.
        Assert.Equal(["7"], (await _db.QueryAsync("SELECT count(*) FROM a FULL JOIN b ON a.k = b.k AND a.id > 1")).Lines);
        Assert.Equal(["8"], (await _db.QueryAsync("SELECT count(*) FROM a FULL JOIN b ON a.k = b.k AND b.id > a.id + 9")).Lines);
        Assert.Equal(["16"], (await _db.QueryAsync("SELECT count(*) FROM a FULL JOIN b ON true")).Lines);
    }

    [Fact]
    public async Task WhereOnTheNullableSide_IsAppliedAfterNullExtension()
    {
        Assert.Equal(["3", "4"], (await _db.QueryAsync("SELECT a.id FROM a LEFT JOIN b ON a.k = b.k WHERE b.id IS NULL ORDER BY a.id")).Lines);
        Assert.Equal(["12", "13"], (await _db.QueryAsync("SELECT b.id FROM a RIGHT JOIN b ON a.k = b.k WHERE a.id IS NULL ORDER BY b.id")).Lines);

        // An ON condition on the nullable side narrows it before the join, keeping every left row.
        Assert.Equal(["1|NULL", "2|11", "3|NULL", "4|NULL"], (await _db.QueryAsync("SELECT a.id, b.id FROM a LEFT JOIN b ON a.k = b.k AND b.n > 2 ORDER BY a.id")).Lines);
    }

    [Fact]
    public async Task MixedNumericKeys_MatchByValue_InHashAndLookupJoins()
    {
        // b.n is DECIMAL: 1.0 equals the integer 1, 2.5 equals nothing, 4.0 equals 4.
        Assert.Equal(["1|10", "4|13"], (await _db.QueryAsync("SELECT a.id, b.id FROM a, b WHERE a.k = b.n ORDER BY a.id")).Lines);
        Assert.Equal(["1|10", "4|13"], (await _db.QueryAsync("SELECT a.id, b.id FROM b JOIN a ON a.id = b.n ORDER BY a.id")).Lines);
        Assert.Equal(["10|1", "11|2", "99|4"], (await _db.QueryAsync("SELECT c.k, a.id FROM a, c WHERE c.id = a.k ORDER BY c.k")).Lines);
    }

    [Fact]
    public async Task JoinsWithSubqueries_CorrelatedBothWays()
    {
        // A subquery in the WHERE of a join, correlated with both items.
        Assert.Equal(
            ["1|10", "2|11"],
            (await _db.QueryAsync("SELECT a.id, b.id FROM a, b WHERE a.k = b.k AND EXISTS (SELECT 1 FROM c WHERE c.k = b.id AND c.id = a.id) ORDER BY a.id")).Lines);

        // A join inside a correlated subquery, reading the enclosing row in its conditions and its key lookups.
        Assert.Equal(
            ["1|1", "2|1", "3|0", "4|0"],
            (await _db.QueryAsync("SELECT a.id, (SELECT count(*) FROM b, c WHERE c.k = b.id AND b.k = a.k AND c.id = a.id) FROM a ORDER BY a.id")).Lines);
        Assert.Equal(
            ["1|x", "2|y"],
            (await _db.QueryAsync("SELECT a.id, a.s FROM a WHERE a.id IN (SELECT c.id FROM c JOIN b ON b.id = c.k WHERE b.k = a.k) ORDER BY a.id")).Lines);

        // A derived table joined to a table.
        Assert.Equal(
            ["1|1", "2|1"],
            (await _db.QueryAsync("SELECT a.id, d.cnt FROM a, (SELECT k, count(*) AS cnt FROM b GROUP BY k) d WHERE d.k = a.k ORDER BY a.id")).Lines);
    }

    [Fact]
    public async Task OnConditionReadingAnotherFromItem_IsRefused()
    {
        var error = await Assert.ThrowsAnyAsync<CohortException>(() => _db.QueryAsync("SELECT * FROM a JOIN b ON b.k = c.k, c"));
        Assert.Contains("invalid reference to FROM-clause entry for table \"c\"", error.Message, StringComparison.Ordinal);
    }
}
