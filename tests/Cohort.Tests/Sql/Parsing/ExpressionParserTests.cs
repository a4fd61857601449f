using Cohort.Sql.Ast;
using Cohort.Sql.Parsing;

namespace Cohort.Tests.Sql.Parsing;

public sealed class ExpressionParserTests
{
    [Theory]
    [InlineData("1 + 2 * 3", "(1 + (2 * 3))")]
    [InlineData("1 * 2 + 3", "((1 * 2) + 3)")]
    [InlineData("1 - 2 - 3", "((1 - 2) - 3)")]
    [InlineData("8 / 4 % 3 * 2", "(((8 / 4) % 3) * 2)")]
    [InlineData("(1 + 2) * 3", "((1 + 2) * 3)")]
    [InlineData("a || b + 1", "(a || (b + 1))")]
    [InlineData("a || b || c", "((a || b) || c)")]
    [InlineData("a = b || c", "(a = (b || c))")]
    [InlineData("a OR b AND c", "(a OR (b AND c))")]
    [InlineData("a AND b OR c AND d", "((a AND b) OR (c AND d))")]
    [InlineData("NOT a AND b", "((NOT a) AND b)")]
    [InlineData("NOT a = b", "(NOT (a = b))")]
    [InlineData("NOT NOT a", "(NOT (NOT a))")]
    [InlineData("a = 1 OR b <> 2 AND NOT c >= 3", "((a = 1) OR ((b <> 2) AND (NOT (c >= 3))))")]
    [InlineData("a != b", "(a <> b)")]
    [InlineData("a < b", "(a < b)")]
    [InlineData("a <= b", "(a <= b)")]
    [InlineData("a > b", "(a > b)")]
    [InlineData("a + 1 > b * 2", "((a + 1) > (b * 2))")]
    [InlineData("a IS NULL", "(a IS NULL)")]
    [InlineData("a IS NOT NULL AND b IS NULL", "((a IS NOT NULL) AND (b IS NULL))")]
    [InlineData("a = b IS NULL", "((a = b) IS NULL)")]
    [InlineData("NOT a IS NULL", "(NOT (a IS NULL))")]
    [InlineData("a + 1 IS NULL", "((a + 1) IS NULL)")]
    [InlineData("a BETWEEN 1 AND 2", "(a BETWEEN 1 AND 2)")]
    [InlineData("a NOT BETWEEN b + 1 AND c * 2 AND d", "((a NOT BETWEEN (b + 1) AND (c * 2)) AND d)")]
    [InlineData("a BETWEEN 1 AND 2 = TRUE", "((a BETWEEN 1 AND 2) = TRUE)")]
    [InlineData("a IN (1, 2, 3)", "(a IN (1, 2, 3))")]
    [InlineData("a + 1 NOT IN (b, c || d)", "((a + 1) NOT IN (b, (c || d)))")]
    [InlineData("a LIKE 'x%'", "(a LIKE 'x%')")]
    [InlineData("a NOT LIKE 'x!%' ESCAPE '!'", "(a NOT LIKE 'x!%' ESCAPE '!')")]
    [InlineData("a || 'x' LIKE b || '%'", "((a || 'x') LIKE (b || '%'))")]
    [InlineData("a LIKE b = c LIKE d", "((a LIKE b) = (c LIKE d))")]
    [InlineData("-a * b", "((-a) * b)")]
    [InlineData("-(a + b)", "(-(a + b))")]
    [InlineData("- -a", "(-(-a))")]
    [InlineData("+a - -b", "((+a) - (-b))")]
    [InlineData("-2 * 3", "(-2 * 3)")]
    [InlineData("-2::text", "(-CAST(2 AS TEXT))")]
    [InlineData("a::int + 1", "(CAST(a AS INTEGER) + 1)")]
    [InlineData("a::text::varchar(5)", "CAST(CAST(a AS TEXT) AS VARCHAR(5))")]
    [InlineData("t.a + \"T\".\"B\"", "(t.a + T.B)")]
    [InlineData("CASE WHEN a > 1 THEN 'x' WHEN a > 0 THEN 'y' ELSE 'z' END", "CASE WHEN (a > 1) THEN 'x' WHEN (a > 0) THEN 'y' ELSE 'z' END")]
    [InlineData("CASE a + 1 WHEN 1 THEN 2 END", "CASE (a + 1) WHEN 1 THEN 2 END")]
    [InlineData("CAST(a + 1 AS DECIMAL(10, 2))", "CAST((a + 1) AS DECIMAL(10, 2))")]
    [InlineData("coalesce(a, b, 0) + Upper(c)", "(coalesce(a, b, 0) + upper(c))")]
    [InlineData("COUNT(*)", "count(*)")]
    [InlineData("count(DISTINCT x)", "count(DISTINCT x)")]
    [InlineData("now()", "now()")]
    [InlineData("sum(ALL a)", "sum(a)")]
    [InlineData("TIMESTAMP '2024-01-01 00:00:00'", "CAST('2024-01-01 00:00:00' AS TIMESTAMP)")]
    public void ParseExpression_Precedence_GroupsAsPostgreSql(string sql, string expected)
    {
        Assert.Equal(expected, SqlAssert.Tree(sql));
    }

    [Theory]
    [InlineData("1", ValueKind.Int64, "1")]
    [InlineData("-1", ValueKind.Int64, "-1")]
    [InlineData("-9223372036854775808", ValueKind.Int64, "-9223372036854775808")]
    [InlineData("9223372036854775808", ValueKind.Decimal, "9223372036854775808.")]
    [InlineData("1.50", ValueKind.Decimal, "1.50")]
    [InlineData("-0.001", ValueKind.Decimal, "-0.001")]
    [InlineData("1e3", ValueKind.Double, "1000E0")]
    [InlineData("-2.5e-1", ValueKind.Double, "-0.25E0")]
    [InlineData("1E+300", ValueKind.Double, "1E+300")]
    [InlineData("'it''s'", ValueKind.String, "'it''s'")]
    [InlineData("TRUE", ValueKind.Bool, "TRUE")]
    [InlineData("false", ValueKind.Bool, "FALSE")]
    [InlineData("NULL", ValueKind.Null, "NULL")]
    public void ParseExpression_Literals_HaveTheRightKindAndPrintBack(string sql, ValueKind kind, string printed)
    {
        var literal = Assert.IsType<LiteralExpression>(Parser.ParseExpression(sql));

        Assert.Equal(kind, literal.Value.Kind);
        Assert.Equal(printed, literal.ToSql());
        Assert.Equal(literal.Value, Assert.IsType<LiteralExpression>(Parser.ParseExpression(printed)).Value);
    }

    [Fact]
    public void ParseExpression_DecimalLiteral_KeepsScale()
    {
        var literal = Assert.IsType<LiteralExpression>(Parser.ParseExpression("1.50"));

        Assert.Equal(Value.From(1.50m), literal.Value);
        Assert.NotEqual(Value.From(1.5m), literal.Value);
    }

    [Fact]
    public void ParseExpression_NotExists_FoldsIntoTheExistsNode()
    {
        var exists = Assert.IsType<ExistsExpression>(Parser.ParseExpression("NOT EXISTS (SELECT 1 FROM t WHERE t.a = x)"));

        Assert.True(exists.Negated);
        Assert.Single(Assert.IsType<SelectStatement>(exists.Query).From);
        Assert.False(Assert.IsType<ExistsExpression>(Parser.ParseExpression("EXISTS (SELECT 1)")).Negated);
    }

    [Fact]
    public void ParseExpression_Subqueries_InInListAndScalarPositions()
    {
        var inQuery = Assert.IsType<InSubqueryExpression>(Parser.ParseExpression("a NOT IN (SELECT b FROM t)"));
        Assert.True(inQuery.Negated);
        Assert.Equal("t", Assert.IsType<TableReference>(Assert.Single(Assert.IsType<SelectStatement>(inQuery.Query).From)).Name);

        var comparison = Assert.IsType<BinaryExpression>(Parser.ParseExpression("a > (SELECT max(b) FROM t) + 1"));
        var sum = Assert.IsType<BinaryExpression>(comparison.Right);
        Assert.IsType<SubqueryExpression>(sum.Left);
    }

    [Fact]
    public void ParseExpression_Function_RecordsStarDistinctAndArguments()
    {
        var count = Assert.IsType<FunctionCall>(Parser.ParseExpression("COUNT(*)"));
        Assert.Equal(("count", true, false, 0), (count.Name, count.IsStar, count.Distinct, count.Arguments.Length));

        var distinct = Assert.IsType<FunctionCall>(Parser.ParseExpression("Count(DISTINCT a, b)"));
        Assert.Equal(("count", false, true, 2), (distinct.Name, distinct.IsStar, distinct.Distinct, distinct.Arguments.Length));

        var quoted = Assert.IsType<FunctionCall>(Parser.ParseExpression("\"MyFunc\"()"));
        Assert.Equal("MyFunc", quoted.Name);
        Assert.Empty(quoted.Arguments);
    }

    [Theory]
    [InlineData("INTEGER", "Integer", null, null, null)]
    [InlineData("int", "Integer", null, null, null)]
    [InlineData("BIGINT", "BigInt", null, null, null)]
    [InlineData("smallint", "SmallInt", null, null, null)]
    [InlineData("DOUBLE PRECISION", "Double", null, null, null)]
    [InlineData("double", "Double", null, null, null)]
    [InlineData("FLOAT", "Double", null, null, null)]
    [InlineData("REAL", "Real", null, null, null)]
    [InlineData("DECIMAL(10,2)", "Decimal", 10, 2, null)]
    [InlineData("NUMERIC(5)", "Decimal", 5, 0, null)]
    [InlineData("numeric", "Decimal", null, null, null)]
    [InlineData("TEXT", "Text", null, null, null)]
    [InlineData("VARCHAR(20)", "Varchar", null, null, 20)]
    [InlineData("CHARACTER VARYING(7)", "Varchar", null, null, 7)]
    [InlineData("varchar", "Varchar", null, null, null)]
    [InlineData("BOOLEAN", "Boolean", null, null, null)]
    [InlineData("bool", "Boolean", null, null, null)]
    [InlineData("TIMESTAMP", "Timestamp", null, null, null)]
    [InlineData("timestamp without time zone", "Timestamp", null, null, null)]
    [InlineData("BYTEA", "Bytea", null, null, null)]
    public void ParseExpression_CastTypes_AreRecognized(string type, string kind, int? precision, int? scale, int? length)
    {
        var cast = Assert.IsType<CastExpression>(Parser.ParseExpression($"CAST(x AS {type})"));
        var postfix = Assert.IsType<CastExpression>(Parser.ParseExpression($"x::{type}"));

        Assert.Equal(new SqlType(Enum.Parse<SqlTypeKind>(kind), precision, scale, length), cast.Type);
        Assert.Equal(cast.Type, postfix.Type);
    }

    [Fact]
    public void ParseExpression_Positions_PointAtTheNodeOrItsOperator()
    {
        var expression = Assert.IsType<BinaryExpression>(Parser.ParseExpression("a +\n  f(b)"));

        Assert.Equal((1, 3), (expression.Position.Line, expression.Position.Column));
        Assert.Equal((1, 1), (expression.Left.Position.Line, expression.Left.Position.Column));
        Assert.Equal((2, 3), (expression.Right.Position.Line, expression.Right.Position.Column));
    }

    [Fact]
    public void Parse_DollarParameters_KeepTheirNumbersAndCountTheHighest()
    {
        var select = SqlAssert.Single<SelectStatement>("SELECT $2, $1 + $2 FROM t WHERE a = $5");

        var parameters = SyntaxTree.DescendantsAndSelf(select).OfType<ParameterExpression>().Select(p => p.Index);
        Assert.Equal([2, 1, 2, 5], parameters);
        Assert.Equal(5, select.ParameterCount);
    }

    [Fact]
    public void Parse_QuestionMarks_AreNumberedInOrderOfAppearance()
    {
        var update = SqlAssert.Single<UpdateStatement>("UPDATE t SET a = ?, b = ? WHERE c = ? AND d IN (SELECT e FROM u WHERE f = ?)");

        var parameters = SyntaxTree.DescendantsAndSelf(update).OfType<ParameterExpression>().Select(p => p.Index);
        Assert.Equal([1, 2, 3, 4], parameters);
        Assert.Equal(4, update.ParameterCount);
    }

    [Fact]
    public void ParseScript_Parameters_AreNumberedPerStatement()
    {
        var statements = Parser.ParseScript("SELECT ?, ?; SELECT $1; SELECT ?");

        Assert.Equal([2, 1, 1], statements.Select(s => s.ParameterCount));
        Assert.Equal(0, Parser.Parse("SELECT 1").ParameterCount);
    }

    [Theory]
    [InlineData("SELECT $1, ?", 1, 12, "?")]
    [InlineData("SELECT ?, $1", 1, 11, "$1")]
    public void Parse_MixedParameterStyles_Fails(string sql, int line, int column, string token)
    {
        var ex = SqlAssert.Fails(sql);

        Assert.Equal((line, column, token), (ex.Line, ex.Column, ex.Token));
        Assert.Equal("cannot mix $n and ? parameters in one statement", ex.Detail);
    }

    [Fact]
    public void SyntaxComparer_SameExpressionAtDifferentPositions_IsEqual()
    {
        var a = Parser.ParseExpression("a + b * 2");
        var b = Parser.ParseExpression("  a+b*2");
        var c = Parser.ParseExpression("(a + b) * 2");

        Assert.True(SyntaxComparer.Instance.Equals(a, b));
        Assert.Equal(SyntaxComparer.Instance.GetHashCode(a), SyntaxComparer.Instance.GetHashCode(b));
        Assert.False(SyntaxComparer.Instance.Equals(a, c));
        Assert.False(SyntaxComparer.Instance.Equals(Parser.ParseExpression("1.5"), Parser.ParseExpression("1.50")));
        Assert.False(SyntaxComparer.Instance.Equals(Parser.ParseExpression("x IN (1, 2)"), Parser.ParseExpression("x IN (1, 2, 3)")));
    }
}
