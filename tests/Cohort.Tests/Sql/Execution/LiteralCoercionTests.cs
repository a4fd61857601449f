using Cohort.Sql.Ast;
using Cohort.Sql.Execution;
using Cohort.Sql.Parsing;

namespace Cohort.Tests.Sql.Execution;

/// <summary>String literals compared with a typed column take the column's type, as PostgreSQL's unknown-typed literals do.</summary>
public sealed class LiteralCoercionTests
{
    private static readonly RowSchema Schema = RowSchema.ForTable(
        "e",
        ("at", new SqlType(SqlTypeKind.Timestamp)),
        ("n", new SqlType(SqlTypeKind.Integer)),
        ("ok", new SqlType(SqlTypeKind.Boolean)),
        ("name", new SqlType(SqlTypeKind.Varchar, Length: 3)));

    private static readonly Value[] Row = ["2024-01-01 00:00:00", 1L, true, "abc"];

    [Theory]
    [InlineData("at = '2024-01-01T00:00:00'", true)]
    [InlineData("at > '2024-01-01'", false)]
    [InlineData("at >= '2024-01-01'", true)]
    [InlineData("'2023-12-31 23:59:59.5' < at", true)]
    [InlineData("n = '1'", true)]
    [InlineData("'2' > n", true)]
    [InlineData("ok = 't'", true)]
    [InlineData("name = 'abcdef'", false)]
    public void StringLiteral_AgainstATypedColumn_ComparesAsTheColumnsType(string sql, bool expected) =>
        Assert.Equal(Value.From(expected), Evaluate(sql));

    [Fact]
    public void StringLiteral_ThatIsNotValidForTheColumnsType_IsAnErrorAtCompileTime()
    {
        var error = Assert.Throws<CohortException>(() => ExpressionCompiler.Compile(Parser.ParseExpression("n = 'one'"), Schema));
        Assert.Contains("invalid input syntax for type bigint: \"one\"", error.Message);
    }

    private static Value Evaluate(string sql) =>
        ExpressionCompiler.Compile(Parser.ParseExpression(sql), Schema).Evaluate(Row, new EvaluationContext());
}
