using Cohort.Sql.Execution;
using Cohort.Sql.Parsing;
using static Cohort.Tests.Sql.Execution.ExpressionTestRows;

namespace Cohort.Tests.Sql.Execution;

public sealed class ExpressionCompilerTests
{
    public static TheoryData<string, string, string, string> Logic => new()
    {
        // left, right, AND, OR: PostgreSQL's truth tables, through columns and literals.
        { "true", "true", "true", "true" }, { "true", "false", "false", "true" }, { "true", "null", "null", "true" },
        { "false", "true", "false", "true" }, { "false", "false", "false", "false" }, { "false", "null", "false", "null" },
        { "null", "true", "null", "true" }, { "null", "false", "false", "null" }, { "null", "null", "null", "null" },
    };

    [Theory]
    [MemberData(nameof(Logic))]
    public void AndOr_FollowThreeValuedLogic(string left, string right, string and, string or)
    {
        Assert.Equal(Constant(and), Evaluate($"{left} AND {right}"));
        Assert.Equal(Constant(or), Evaluate($"{left} OR {right}"));
        Assert.Equal(Constant(and), Evaluate($"({left} = b) AND ({right} = b)"));
        Assert.Equal(Constant(or), Evaluate($"({left} = b) OR ({right} = b)"));
    }

    [Theory]
    [InlineData("NOT true", "false")]
    [InlineData("NOT null", "null")]
    [InlineData("NOT (n > 1)", "null")]
    [InlineData("n = n", "null")]
    [InlineData("null = null", "null")]
    [InlineData("n + 1", "null")]
    [InlineData("-n", "null")]
    [InlineData("s || n", "null")]
    [InlineData("n IS NULL", "true")]
    [InlineData("n IS NOT NULL", "false")]
    [InlineData("(n > 1) IS NULL", "true")]
    [InlineData("t.i IS NOT NULL", "true")]
    [InlineData("false AND 1/0 = 1", "false")]
    [InlineData("true OR 1/0 = 1", "true")]
    public void NullsAndShortCircuit(string sql, string expected) => Assert.Equal(Constant(expected), Evaluate(sql));

    [Theory]
    [InlineData("t.i + u.i", "77")]
    [InlineData("t.i * d", "17.50")]
    [InlineData("f * 2", "3.0e0")]
    [InlineData("s || '!' || t.i", "'Hello!7'")]
    [InlineData("-t.i % 4", "-3")]
    [InlineData("+d", "2.50")]
    [InlineData("t.i < u.i AND s = 'Hello' AND b", "true")]
    [InlineData("x <> 'x'", "false")]
    public void Operators_UseSqlSemantics(string sql, string expected) => Assert.Equal(Constant(expected), Evaluate(sql));

    [Theory]
    [InlineData("t.i BETWEEN 1 AND 10", "true")]
    [InlineData("t.i BETWEEN 8 AND 10", "false")]
    [InlineData("t.i NOT BETWEEN 8 AND 10", "true")]
    [InlineData("t.i BETWEEN n AND 10", "null")]
    [InlineData("t.i BETWEEN 8 AND n", "false")]
    [InlineData("t.i BETWEEN 1 AND n", "null")]
    [InlineData("t.i NOT BETWEEN 1 AND n", "null")]
    [InlineData("t.i NOT BETWEEN 8 AND n", "true")]
    [InlineData("n BETWEEN 1 AND 2", "null")]
    [InlineData("d BETWEEN 2.5 AND 2.5", "true")]
    [InlineData("s BETWEEN 'A' AND 'Z'", "true")]
    public void Between_IsTwoComparisonsWithThreeValuedAnd(string sql, string expected) => Assert.Equal(Constant(expected), Evaluate(sql));

    [Theory]
    [InlineData("t.i IN (1, 7)", "true")]
    [InlineData("t.i IN (1, 2)", "false")]
    [InlineData("t.i IN (1, null)", "null")]
    [InlineData("t.i IN (null, 7)", "true")]
    [InlineData("t.i NOT IN (1, null)", "null")]
    [InlineData("t.i NOT IN (1, 2)", "true")]
    [InlineData("t.i NOT IN (7, null)", "false")]
    [InlineData("n IN (1, 2)", "null")]
    [InlineData("n NOT IN (1, 2)", "null")]
    [InlineData("d IN (2.5, 3)", "true")]
    [InlineData("t.i IN (7.0, 1)", "true")]
    [InlineData("s IN ('a', u.x, 'Hello')", "true")]
    [InlineData("t.i IN (u.i / 10, 1 / 0)", "true")]
    public void InList_FollowsSqlSemantics(string sql, string expected) => Assert.Equal(Constant(expected), Evaluate(sql));

    [Theory]
    [InlineData("s LIKE 'H%'", "true")]
    [InlineData("s LIKE 'h%'", "false")]
    [InlineData("s LIKE '_ello'", "true")]
    [InlineData("s NOT LIKE '%l%'", "false")]
    [InlineData("n::TEXT LIKE '%'", "null")]
    [InlineData("s LIKE null", "null")]
    [InlineData("'50%' LIKE '50\\%'", "true")]
    [InlineData("'50x' LIKE '50\\%'", "false")]
    [InlineData("'50%' LIKE '50#%' ESCAPE '#'", "true")]
    [InlineData("'50x' LIKE '50#%' ESCAPE '#'", "false")]
    [InlineData("'a\\b' LIKE 'a\\b' ESCAPE ''", "true")]
    [InlineData("'a_b' LIKE 'a!_b' ESCAPE u.x", "false")]
    [InlineData("'a_b' LIKE 'ax_b' ESCAPE u.x", "true")]
    [InlineData("s LIKE 'H%' ESCAPE null", "null")]
    public void Like_SupportsEscape(string sql, string expected) => Assert.Equal(Constant(expected), Evaluate(sql));

    [Fact]
    public void Like_EscapeOfTwoCharacters_Fails() =>
        Assert.StartsWith("invalid escape string", Error("s LIKE 'a' ESCAPE 'ab'").Message);

    [Theory]
    [InlineData("CASE WHEN t.i > 5 THEN 'big' ELSE 'small' END", "'big'")]
    [InlineData("CASE WHEN n > 5 THEN 'big' ELSE 'small' END", "'small'")]
    [InlineData("CASE WHEN n > 5 THEN 'big' END", "null")]
    [InlineData("CASE t.i WHEN 1 THEN 'one' WHEN 7 THEN 'seven' END", "'seven'")]
    [InlineData("CASE n WHEN null THEN 'null' ELSE 'other' END", "'other'")]
    [InlineData("CASE WHEN true THEN 1 ELSE 1 / 0 END", "1")]
    [InlineData("CASE t.i WHEN 7 THEN 1 WHEN 1 / 0 THEN 2 END", "1")]
    public void Case_PicksTheFirstTrueArm_Lazily(string sql, string expected) => Assert.Equal(Constant(expected), Evaluate(sql));

    [Theory]
    [InlineData("CAST(t.i AS TEXT)", "'7'")]
    [InlineData("'42'::INTEGER + 1", "43")]
    [InlineData("CAST(d AS INTEGER)", "3")]
    [InlineData("CAST(f AS DECIMAL(5, 3))", "1.500")]
    [InlineData("CAST(n AS TEXT)", "null")]
    [InlineData("TIMESTAMP '2024-01-02'", "'2024-01-02 00:00:00'")]
    public void Cast_UsesSqlSemantics(string sql, string expected) => Assert.Equal(Constant(expected), Evaluate(sql));

    [Theory]
    [InlineData("lower(s)", "'hello'")]
    [InlineData("upper(s || u.x)", "'HELLOX'")]
    [InlineData("lower(n::TEXT)", "null")]
    [InlineData("length(s)", "5")]
    [InlineData("length('')", "0")]
    [InlineData("length('h\u00e9\U0001F600')", "3")]
    [InlineData("length(n::TEXT)", "null")]
    [InlineData("abs(-t.i)", "7")]
    [InlineData("abs(-2.50)", "2.50")]
    [InlineData("abs(-f)", "1.5e0")]
    [InlineData("abs(n)", "null")]
    [InlineData("coalesce(n, t.i)", "7")]
    [InlineData("coalesce(n, null)", "null")]
    [InlineData("coalesce(s, 1 / 0)", "'Hello'")]
    [InlineData("nullif(t.i, 7)", "null")]
    [InlineData("nullif(t.i, 8)", "7")]
    [InlineData("nullif(n, 8)", "null")]
    [InlineData("round(2.5)", "3::DECIMAL")]
    [InlineData("round(-2.5)", "-3::DECIMAL")]
    [InlineData("round(d)", "3::DECIMAL")]
    [InlineData("round(2.449, 1)", "2.4")]
    [InlineData("round(2.45, 1)", "2.5")]
    [InlineData("round(-2.45, 1)", "-2.5")]
    [InlineData("round(1.2, 3)", "1.200")]
    [InlineData("round(1250, -2)", "1300::DECIMAL")]
    [InlineData("round(1249.99, -2)", "1200::DECIMAL")]
    [InlineData("round(5, 1)", "5.0")]
    [InlineData("round(t.i)", "7.0e0")]
    [InlineData("round(f)", "2.0e0")]
    [InlineData("round(2.5e0)", "2.0e0")]
    [InlineData("round(3.5e0)", "4.0e0")]
    [InlineData("round(n, 2)", "null")]
    [InlineData("round(d, n)", "null")]
    public void Functions_Evaluate(string sql, string expected) => Assert.Equal(Constant(expected), Evaluate(sql));

    [Fact]
    public void Now_IsTheTransactionTimestamp()
    {
        Assert.Equal(Value.From("2024-05-06 07:08:09"), Evaluate("now()"));
        var precise = new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc).AddTicks(1_234_567);
        var context = new EvaluationContext(now: precise);
        Assert.Equal(Value.From("2024-05-06 07:08:09.123456"), ExpressionCompiler.Compile(Parser.ParseExpression("now()"), RowSchema.Empty).Evaluate([], context));
        Assert.Equal(Value.True, Evaluate("now() = CAST('2024-05-06T07:08:09' AS TIMESTAMP)"));
    }

    [Theory]
    [InlineData("foo(t.i)", "function foo(integer) does not exist")]
    [InlineData("foo(1, 'a', null, 2.5, s)", "function foo(integer, unknown, unknown, numeric, text) does not exist")]
    [InlineData("lower(s, s)", "function lower(text, text) does not exist")]
    [InlineData("now(1)", "function now(integer) does not exist")]
    [InlineData("round()", "function round() does not exist")]
    [InlineData("coalesce()", "function coalesce() does not exist")]
    [InlineData("lower(*)", "function lower(*) does not exist")]
    [InlineData("lower(DISTINCT s)", "DISTINCT specified, but lower is not an aggregate function")]
    [InlineData("count(*)", "aggregate functions are not allowed here")]
    [InlineData("1 + sum(t.i)", "aggregate functions are not allowed here")]
    [InlineData("lower(max(s))", "aggregate functions are not allowed here")]
    public void Compile_BadFunctionCall_Fails(string sql, string message) =>
        Assert.Equal(message, Assert.Throws<CohortException>(() => ExpressionCompiler.Compile(Parser.ParseExpression(sql), Schema)).Message);

    [Theory]
    [InlineData("lower(t.i)", "function lower(integer) does not exist")]
    [InlineData("length(b)", "function length(boolean) does not exist")]
    [InlineData("abs(s)", "function abs(text) does not exist")]
    [InlineData("round(f, 1)", "function round(double precision, integer) does not exist")]
    [InlineData("round(d, 'a')", "function round(numeric, text) does not exist")]
    [InlineData("abs(-9223372036854775808)", "bigint out of range")]
    [InlineData("1 / (t.i - 7)", "division by zero")]
    [InlineData("s + 1", "operator + does not exist for text and bigint")]
    [InlineData("+s", "operator + does not exist for text")]
    [InlineData("t.i AND true", "argument of AND must be type boolean, not type bigint")]
    [InlineData("$3", "there is no parameter $3")]
    [InlineData("$1 + $2", "there is no parameter $2")]
    public void Evaluate_TypeAndValueErrors_Fail(string sql, string message)
    {
        var error = Error(sql, [1]);
        Assert.Equal(message, error.Message);
        Assert.Equal(ErrorCodes.BadOperation, error.Code);
    }

    [Fact]
    public void Parameters_AreReadFromTheContext()
    {
        Assert.Equal(Value.From(10L), Evaluate("$1 + t.i", [3]));
        Assert.Equal(Value.True, Evaluate("s = $2 AND $1 IS NULL", [Value.Null, "Hello"]));
        Assert.Equal(Value.From(5L), Evaluate("? + ?", [2, 3]));
    }

    [Fact]
    public void Compile_Once_EvaluatesManyRowsAndContexts()
    {
        var compiled = ExpressionCompiler.Compile(Parser.ParseExpression("CASE WHEN t.i > $1 THEN s ELSE lower(s) END"), Schema);
        Value[] other = [1, "ABC", 0m, 0.0, false, Value.Null, 0, ""];
        Assert.Equal(Value.From("Hello"), compiled.Evaluate(Row, new EvaluationContext([5])));
        Assert.Equal(Value.From("hello"), compiled.Evaluate(Row, new EvaluationContext([9])));
        Assert.Equal(Value.From("abc"), compiled.Evaluate(other, new EvaluationContext([5])));
    }

    [Fact]
    public void IsSatisfied_PassesOnlyTrue()
    {
        var context = new EvaluationContext();
        Assert.True(ExpressionCompiler.Compile(Parser.ParseExpression("t.i = 7"), Schema).IsSatisfied(Row, context));
        Assert.False(ExpressionCompiler.Compile(Parser.ParseExpression("t.i = n"), Schema).IsSatisfied(Row, context));
        Assert.False(ExpressionCompiler.Compile(Parser.ParseExpression("t.i = 8"), Schema).IsSatisfied(Row, context));
        var error = Assert.Throws<CohortException>(() => ExpressionCompiler.Compile(Parser.ParseExpression("t.i"), Schema).IsSatisfied(Row, context));
        Assert.Equal("argument of WHERE must be type boolean, not type bigint", error.Message);
    }

    [Theory]
    [InlineData("count(*)", true)]
    [InlineData("1 + sum(a)", true)]
    [InlineData("CASE WHEN max(a) > 1 THEN 1 END", true)]
    [InlineData("coalesce(avg(a), 0)", true)]
    [InlineData("lower(a) LIKE 'x%'", false)]
    [InlineData("a IN (SELECT max(b) FROM t)", false)]
    [InlineData("EXISTS (SELECT count(*) FROM t)", false)]
    [InlineData("(SELECT min(b) FROM t) > 1", false)]
    public void ContainsAggregate_IgnoresSubqueries(string sql, bool expected) =>
        Assert.Equal(expected, ExpressionCompiler.ContainsAggregate(Parser.ParseExpression(sql)));
}
