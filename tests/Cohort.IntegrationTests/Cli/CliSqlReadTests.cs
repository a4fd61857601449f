using Cohort.Cli;

namespace Cohort.IntegrationTests.Cli;

/// <summary>
/// Issue 22: which statements <c>cohort sql</c> sends as a snapshot read (conservatively: a plain SELECT, EXPLAIN or
/// WITH … SELECT with no write keyword outside quotes and comments), and how wide its tables are.
/// </summary>
public sealed class CliSqlReadTests
{
    [Theory]
    [InlineData("SELECT 1", true)]
    [InlineData("  select id, name from users where id = 1", true)]
    [InlineData("-- note\nSELECT * FROM t", true)]
    [InlineData("/* insert */ SELECT * FROM t", true)]
    [InlineData("SELECT 'delete from t' AS s", true)]
    [InlineData("SELECT \"update\" FROM t", true)]
    [InlineData("SELECT * FROM update_log", true)]
    [InlineData("EXPLAIN SELECT * FROM t", true)]
    [InlineData("WITH x AS (SELECT 1 AS a) SELECT a FROM x", true)]
    [InlineData("SELECT $$insert$$ AS s", true)]
    [InlineData("INSERT INTO t VALUES (1)", false)]
    [InlineData("UPDATE t SET a = 1", false)]
    [InlineData("DELETE FROM t", false)]
    [InlineData("CREATE TABLE t (a INT)", false)]
    [InlineData("SELECT * INTO t2 FROM t", false)]
    [InlineData("SELECT * FROM t FOR UPDATE", false)]
    [InlineData("EXPLAIN ANALYZE SELECT * FROM t", false)]
    [InlineData("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", false)]
    [InlineData("SELECT nextval('s')", false)]
    [InlineData("VALUES (1)", false)]
    [InlineData("", false)]
    [InlineData("'SELECT'", false)]
    public void IsRead_IsConservative(string statement, bool read) => Assert.Equal(read, SqlCommand.IsRead(statement));

    [Theory]
    [InlineData("100", true, 120, 100)]
    [InlineData("100", false, 120, 100)]
    [InlineData(null, false, 120, 120)]
    [InlineData(null, true, 120, CliOutput.UnboundedWidth)]
    [InlineData("", true, 120, CliOutput.UnboundedWidth)]
    [InlineData("abc", false, 90, 90)]
    [InlineData("-5", false, 0, 80)]
    public void Width_IsColumnsThenTheTerminalElseUnbounded(string? columns, bool redirected, int terminal, int expected) =>
        Assert.Equal(expected, CliOutput.Width(columns, redirected, () => terminal));
}
