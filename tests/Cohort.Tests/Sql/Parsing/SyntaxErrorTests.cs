using Cohort.Sql.Parsing;

namespace Cohort.Tests.Sql.Parsing;

public sealed class SyntaxErrorTests
{
    [Fact]
    public void Parse_MissingExpression_NamesLineColumnAndToken()
    {
        var ex = SqlAssert.Fails("SELECT a,\n  b, FROM t");

        Assert.Equal("syntax error at line 2, column 6 near \"FROM\": expected an expression", ex.Message);
        Assert.Equal((2, 6, "FROM"), (ex.Line, ex.Column, ex.Token));
        Assert.Equal(ErrorCodes.SqlSyntax, ex.Code);
        Assert.IsAssignableFrom<CohortException>(ex);
    }

    [Fact]
    public void Parse_EndOfInput_SaysSo()
    {
        var ex = SqlAssert.Fails("SELECT a FROM t WHERE");

        Assert.Equal("syntax error at end of input: expected an expression", ex.Message);
        Assert.Null(ex.Token);
        Assert.Equal((1, 22), (ex.Line, ex.Column));
    }

    [Theory]
    [InlineData("SELEC 1", "SELEC", 1, 1, "expected a statement (SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER or EXPLAIN)")]
    [InlineData("SELECT 1 2", "2", 1, 10, "expected ';' or end of input")]
    [InlineData("SELECT (1 + 2", null, 1, 14, "expected ')' to close the '(' at line 1, column 8")]
    [InlineData("SELECT f(1, 2", null, 1, 14, "expected ',' or ')' to close the '(' at line 1, column 9")]
    [InlineData("SELECT * FROM select", "select", 1, 15, "expected a table name (\"select\" is a reserved word; double-quote it to use it as a name)")]
    [InlineData("SELECT a FROM t WHERE a = 1 = 2", "=", 1, 29, "comparison operators are non-associative; use parentheses")]
    [InlineData("SELECT a IS NULL IS NULL", "IS", 1, 18, "IS is non-associative; use parentheses")]
    [InlineData("SELECT a IN (1) IN (2)", "IN", 1, 17, "BETWEEN, IN and LIKE are non-associative; use parentheses")]
    [InlineData("SELECT a IN ()", ")", 1, 14, "expected an expression; IN needs at least one value")]
    [InlineData("SELECT a BETWEEN 1 OR 2", "OR", 1, 20, "expected AND")]
    [InlineData("SELECT a IS 1", "1", 1, 13, "expected NULL, NOT NULL or DISTINCT FROM")]
    [InlineData("SELECT CASE END", "END", 1, 13, "expected an expression")]
    [InlineData("SELECT CASE WHEN a THEN b", null, 1, 26, "expected WHEN, ELSE or END")]
    [InlineData("SELECT CAST(a AS blob)", "blob", 1, 18, "unknown type; expected INTEGER, BIGINT, SMALLINT, DOUBLE PRECISION, REAL, DECIMAL, TEXT, VARCHAR, BOOLEAN, TIMESTAMP, DATE, TIME, INTERVAL, UUID or BYTEA")]
    [InlineData("SELECT a::decimal(0, 1)", "0", 1, 19, "expected a precision between 1 and 1000")]
    [InlineData("SELECT a::decimal(5, 6)", "6", 1, 22, "expected a scale between 0 and the precision 5")]
    [InlineData("SELECT t.* + 1 FROM t", "+", 1, 12, "expected ';' or end of input")]
    [InlineData("SELECT a + t.* FROM t", "*", 1, 14, "t.* is only allowed in a select list or RETURNING list")]
    [InlineData("SELECT * FROM a NATURAL JOIN b", "NATURAL", 1, 17, "NATURAL JOIN is not supported; use JOIN … ON")]
    [InlineData("SELECT * FROM a JOIN b", null, 1, 23, "expected ON and a join condition")]
    [InlineData("SELECT * FROM (SELECT 1)", null, 1, 25, "expected an alias for the subquery")]
    [InlineData("SELECT * FROM t AS OF 'x' AS OF 'y'", "AS", 1, 27, "AS OF may be given only once")]
    [InlineData("SELECT * FROM t ORDER BY a NULLS", null, 1, 33, "expected FIRST or LAST")]
    [InlineData("SELECT EXISTS (1)", "1", 1, 16, "expected SELECT")]
    [InlineData("INSERT t VALUES (1)", "t", 1, 8, "expected INTO")]
    [InlineData("INSERT INTO t VALUES (1), (1, 2)", "(", 1, 27, "VALUES rows must all have the same number of values (the first has 1, this one 2)")]
    [InlineData("INSERT INTO t DEFAULT VALUES", "DEFAULT", 1, 15, "expected VALUES or SELECT")]
    [InlineData("INSERT INTO t VALUES (1) ON CONFLICT DO UPDATE SET a = 1", "UPDATE", 1, 41, "ON CONFLICT DO UPDATE needs a conflict target, e.g. ON CONFLICT (id)")]
    [InlineData("INSERT INTO t VALUES (1) ON CONFLICT (a) DO SOMETHING", "SOMETHING", 1, 45, "expected NOTHING or UPDATE")]
    [InlineData("UPDATE t SET t.a = 1", ".", 1, 15, "expected '='; the column to set cannot be qualified")]
    [InlineData("UPDATE t SET a 1", "1", 1, 16, "expected '='")]
    [InlineData("DELETE t", "t", 1, 8, "expected FROM")]
    [InlineData("CREATE TABLE t ()", ")", 1, 17, "expected a column name")]
    [InlineData("CREATE TABLE t (a)", ")", 1, 18, "expected a type name")]
    [InlineData("CREATE TABLE t (a INT NOT NULL NULL)", "NULL", 1, 32, "conflicting NULL and NOT NULL")]
    [InlineData("CREATE TABLE t (a INT DEFAULT 1 DEFAULT 2)", "DEFAULT", 1, 33, "DEFAULT given twice")]
    [InlineData("CREATE TABLE t (a INT REFERENCES u)", "REFERENCES", 1, 23, "REFERENCES and CHECK constraints are not supported")]
    [InlineData("CREATE TABLE t (a INT, CHECK (a > 0))", "CHECK", 1, 24, "expected PRIMARY KEY or UNIQUE (CHECK and FOREIGN KEY constraints are not supported)")]
    [InlineData("CREATE VIEW v", "VIEW", 1, 8, "expected TABLE, INDEX or UNIQUE INDEX after CREATE")]
    [InlineData("CREATE INDEX ON t (a)", "ON", 1, 14, "expected an index name (\"on\" is a reserved word; double-quote it to use it as a name)")]
    [InlineData("DROP VIEW v", "VIEW", 1, 6, "expected TABLE or INDEX after DROP")]
    [InlineData("ALTER TABLE t ALTER COLUMN a TYPE TEXT", "ALTER", 1, 15, "expected ADD, DROP or RENAME")]
    [InlineData("ALTER TABLE t ADD PRIMARY KEY (a)", "PRIMARY", 1, 19, "only ADD COLUMN is supported")]
    [InlineData("EXPLAIN CREATE TABLE t (a INT)", "CREATE", 1, 9, "expected SELECT, VALUES, WITH, INSERT, UPDATE or DELETE after EXPLAIN")]
    [InlineData("SELECT 1;\nSELECT FROM", "FROM", 2, 8, "expected an expression")]
    public void ParseScript_InvalidStatement_ReportsExactPositionTokenAndReason(string sql, string? token, int line, int column, string detail)
    {
        var ex = SqlAssert.Fails(sql);

        Assert.Equal((detail, token, line, column), (ex.Detail, ex.Token, ex.Line, ex.Column));
    }

    [Fact]
    public void Parse_SecondStatement_IsRejected()
    {
        var ex = Assert.Throws<SqlSyntaxException>(() => Parser.Parse("SELECT 1; SELECT 2"));

        Assert.Equal((1, 11, "SELECT"), (ex.Line, ex.Column, ex.Token));
        Assert.Equal("expected end of input; only one statement is allowed here", ex.Detail);
        Assert.IsType<Cohort.Sql.Ast.SelectStatement>(Parser.Parse("SELECT 1;"));
    }

    [Fact]
    public void Parse_EmptyInput_IsRejected()
    {
        var ex = Assert.Throws<SqlSyntaxException>(() => Parser.Parse("  -- nothing"));

        Assert.Equal("syntax error at end of input: expected a statement", ex.Message);
    }

    [Fact]
    public void Parse_DeepParentheses_FailWithAClearError()
    {
        var sql = "SELECT " + new string('(', 5000) + "1" + new string(')', 5000);

        var ex = SqlAssert.Fails(sql);

        Assert.Equal($"statement is nested too deeply (more than {Parser.MaxNestingDepth} levels)", ex.Detail);
        Assert.Equal("(", ex.Token);
    }

    [Theory]
    [InlineData("SELECT {0}1", "- ")]
    [InlineData("SELECT {0}TRUE", "NOT ")]
    [InlineData("SELECT {0}", "(SELECT ")]
    [InlineData("SELECT * FROM {0}t", "(")]
    [InlineData("SELECT {0}1", "CAST(")]
    [InlineData("SELECT {0}1", "f(")]
    public void Parse_DeepNestingOfAnyKind_FailsWithoutOverflowingTheStack(string template, string opener)
    {
        var sql = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, string.Concat(Enumerable.Repeat(opener, 100_000)));

        var ex = SqlAssert.Fails(sql);

        Assert.Contains("nested too deeply", ex.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_LongOperatorChains_AreAcceptedUpToTheTreeDepthLimit()
    {
        var ok = "SELECT * FROM t WHERE " + string.Join(" OR ", Enumerable.Range(0, 400).Select(i => $"a = {i}"));
        var select = Assert.IsType<Cohort.Sql.Ast.SelectStatement>(Parser.Parse(ok));
        Assert.NotNull(select.Where);
        Assert.True(Cohort.Sql.Ast.SyntaxComparer.Instance.Equals(select, Parser.Parse(select.ToSql())));

        var tooLong = "SELECT " + string.Join(" + ", Enumerable.Range(0, 5000));
        var ex = SqlAssert.Fails(tooLong);
        Assert.Equal($"statement is nested too deeply (more than {Parser.MaxTreeDepth} levels)", ex.Detail);
        Assert.Equal("+", ex.Token);
    }
}
