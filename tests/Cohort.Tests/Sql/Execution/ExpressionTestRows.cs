using Cohort.Sql.Ast;
using Cohort.Sql.Execution;
using Cohort.Sql.Parsing;

namespace Cohort.Tests.Sql.Execution;

/// <summary>A fixed schema and row for expression tests: t(i, s, d, f, b, n) joined with u(i, x).</summary>
internal static class ExpressionTestRows
{
    public static readonly DateTime Now = new(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc);

    public static RowSchema Schema { get; } = RowSchema.ForTable(
            "t",
            ("i", new SqlType(SqlTypeKind.Integer)),
            ("s", new SqlType(SqlTypeKind.Text)),
            ("d", new SqlType(SqlTypeKind.Decimal, 10, 2)),
            ("f", new SqlType(SqlTypeKind.Double)),
            ("b", new SqlType(SqlTypeKind.Boolean)),
            ("n", new SqlType(SqlTypeKind.Integer)))
        .Concat(RowSchema.ForTable("u", ("i", new SqlType(SqlTypeKind.BigInt)), ("x", null)));

    public static Value[] Row { get; } = [7, "Hello", 2.50m, 1.5, true, Value.Null, 70, "x"];

    public static Value Evaluate(string sql, Value[]? parameters = null, ISubqueryRunner? runner = null)
    {
        var compiled = ExpressionCompiler.Compile(Parser.ParseExpression(sql), Schema);
        return compiled.Evaluate(Row, new EvaluationContext(parameters, Now, runner));
    }

    public static Value Constant(string sql) =>
        ExpressionCompiler.Compile(Parser.ParseExpression(sql), RowSchema.Empty).Evaluate([], new EvaluationContext());

    public static CohortException Error(string sql, Value[]? parameters = null) =>
        Assert.Throws<CohortException>(() => Evaluate(sql, parameters));
}
