namespace Cohort.Tests.Engines.Sql.Engine;

/// <summary>Issue 23's dialect items and refusals, through the engine: as PostgreSQL answers them.</summary>
public sealed class SqlDialectTests : IAsyncLifetime
{
    private readonly SqlTestDatabase _db = new();

    public async Task InitializeAsync() => await _db.ScriptAsync("""
        CREATE TABLE t (id BIGINT PRIMARY KEY, a INTEGER, s TEXT);
        INSERT INTO t VALUES (1, 10, 'x'), (2, NULL, NULL), (3, 10, 'y')
        """);

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Theory]
    [InlineData("SELECT id FROM t WHERE a IS DISTINCT FROM 10 ORDER BY id", new[] { "2" })]
    [InlineData("SELECT id FROM t WHERE a IS NOT DISTINCT FROM NULL ORDER BY id", new[] { "2" })]
    [InlineData("SELECT id FROM t WHERE s IS DISTINCT FROM 'x' ORDER BY id", new[] { "2", "3" })]
    [InlineData("SELECT NULL IS DISTINCT FROM NULL, 1 IS NOT DISTINCT FROM 1.0, NOT 1 IS DISTINCT FROM 2", new[] { "f|t|f" })]
    [InlineData("SELECT 1 AS case, 2 AS select, 3 AS from", new[] { "1|2|3" })]
    [InlineData("SELECT a FROM t GROUP BY a, a ORDER BY a", new[] { "10", "NULL" })]
    [InlineData("SELECT a, id FROM t GROUP BY a, id, t.id ORDER BY id", new[] { "10|1", "NULL|2", "10|3" })]
    [InlineData("SELECT * FROM t GROUP BY id, a, s ORDER BY id", new[] { "1|10|x", "2|NULL|NULL", "3|10|y" })]
    [InlineData("SELECT id FROM t WHERE a IN (SELECT a FROM t WHERE id > 100)", new string[0])]
    public async Task DialectItems_AnswerAsPostgres(string sql, string[] expected) =>
        Assert.Equal(expected, (await _db.QueryAsync(sql)).Lines);

    [Theory]
    [InlineData("SELECT * FROM t GROUP BY id, a", "column \"t.s\" must appear in the GROUP BY clause or be used in an aggregate function")]
    [InlineData("SELECT id FROM t WHERE a IN (SELECT a, s FROM t WHERE id > 100)", "subquery has too many columns")]
    [InlineData("SELECT (SELECT a, s FROM t WHERE id > 100)", "subquery must return only one column")]
    [InlineData("SELECT 'ABC' LIKE 10", "operator does not exist: text ~~ integer")]
    [InlineData("SELECT id FROM t WHERE a LIKE '1%'", "operator does not exist: integer ~~ text")]
    [InlineData("SELECT id FROM t WHERE s NOT LIKE true", "operator does not exist: text !~~ boolean")]
    [InlineData("ALTER TABLE t ADD COLUMN x BOOLEAN DEFAULT EXISTS (SELECT 1)", "cannot use subquery in DEFAULT expression")]
    [InlineData("ALTER TABLE t ADD COLUMN x INTEGER DEFAULT (SELECT 1)", "cannot use subquery in DEFAULT expression")]
    [InlineData("CREATE TABLE d (x TEXT DEFAULT no_such_fn('a'))", "function no_such_fn(unknown) does not exist")]
    [InlineData("CREATE TABLE d (x TEXT DEFAULT lpad(1, 2))", "function lpad(integer, integer) does not exist")]
    public async Task Refusals_AreSqlErrors(string sql, string message)
    {
        var e = await Assert.ThrowsAnyAsync<CohortException>(() => _db.ExecAsync(sql));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCodes.BadOperation, e.Code);
    }

    [Fact]
    public async Task TableWithRefusedDefault_IsNotCreated()
    {
        await Assert.ThrowsAsync<CohortException>(() => _db.ExecAsync("CREATE TABLE d (x TEXT DEFAULT no_such_fn('a'))"));
        await _db.ExecAsync("CREATE TABLE d (x TEXT DEFAULT concat_ws('-', 'a', upper('b')), y INTEGER)");
        await _db.ExecAsync("INSERT INTO d (y) VALUES (1)");
        Assert.Equal(["a-B|1"], (await _db.QueryAsync("SELECT * FROM d")).Lines);
    }
}
