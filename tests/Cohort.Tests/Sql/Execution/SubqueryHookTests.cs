using Cohort.Sql.Ast;
using Cohort.Sql.Execution;
using Cohort.Sql.Parsing;

namespace Cohort.Tests.Sql.Execution;

public sealed class SubqueryHookTests
{
    private static readonly RowSchema Outer = RowSchema.ForTable("o", ("id", null), ("v", null));
    private static readonly RowSchema Inner = RowSchema.ForTable("i", ("k", null), ("w", null));

    [Fact]
    public void Exists_IsCorrelated_ThroughTheOuterRow()
    {
        var runner = new FakeRunner([[1, "a"], [2, "b"], [2, "c"]]);
        var compiled = Compile("EXISTS (SELECT 1 FROM i WHERE i.k = o.id AND w <> v)");
        var context = new EvaluationContext(subqueries: runner);

        Assert.Equal(Value.True, compiled.Evaluate([2, "b"], context));
        Assert.Equal(Value.False, compiled.Evaluate([3, "b"], context));
        Assert.Equal(Value.False, compiled.Evaluate([1, "a"], context));
        Assert.Equal(3, runner.Calls.Count);
        Assert.Equal([Value.From(3L), Value.From("b")], runner.Calls[1]);
        Assert.Single(runner.Plans); // one statement instance: the runner can cache its plan by reference
    }

    [Fact]
    public void NotExists_Negates()
    {
        var compiled = Compile("NOT EXISTS (SELECT 1 FROM i WHERE k = id)");
        Assert.Equal(Value.True, compiled.Evaluate([9, "x"], new EvaluationContext(subqueries: new FakeRunner([[1, "a"]]))));
    }

    [Fact]
    public void ScalarSubquery_ReturnsTheFirstColumnOrNull()
    {
        var runner = new FakeRunner([[1, "a"], [2, "b"]]);
        var compiled = Compile("(SELECT w FROM i WHERE k = o.id) || '!'");
        var context = new EvaluationContext(subqueries: runner);
        Assert.Equal(Value.From("b!"), compiled.Evaluate([2, "z"], context));
        Assert.Equal(Value.Null, compiled.Evaluate([5, "z"], context));
    }

    [Theory]
    [InlineData("id IN (SELECT k FROM i)", 2, "true")]
    [InlineData("id IN (SELECT k FROM i)", 3, "null")]
    [InlineData("id NOT IN (SELECT k FROM i)", 3, "null")]
    [InlineData("id NOT IN (SELECT k FROM i WHERE k IS NOT NULL)", 3, "true")]
    [InlineData("id IN (SELECT k FROM i WHERE k = 99)", 3, "false")]
    [InlineData("v IN (SELECT k FROM i WHERE k = 99)", 3, "false")]
    [InlineData("v NOT IN (SELECT k FROM i WHERE k = 99)", 3, "true")]
    [InlineData("v IN (SELECT k FROM i)", 3, "null")]
    public void InSubquery_FollowsSqlSemantics_IncludingTheEmptySet(string sql, int id, string expected)
    {
        var runner = new FakeRunner([[1, "a"], [2, "b"], [Value.Null, "c"]]);
        var actual = Compile(sql).Evaluate([id, Value.Null], new EvaluationContext(subqueries: runner));
        Assert.Equal(ExpressionTestRows.Constant(expected), actual);
    }

    [Fact]
    public void InnerColumn_ShadowsOuter_AndQualifiedInnerTableDoesNotFallBack()
    {
        var both = RowSchema.ForTable("o2", ("id", null));
        Assert.Equal(Value.From(7L), ExpressionCompiler.Compile(Parser.ParseExpression("id"), both, Outer).Evaluate([7], new EvaluationContext()));

        var error = Assert.Throws<CohortException>(() => ExpressionCompiler.Compile(Parser.ParseExpression("i.id"), Inner, Outer));
        Assert.Equal("column i.id does not exist", error.Message);
        error = Assert.Throws<CohortException>(() => ExpressionCompiler.Compile(Parser.ParseExpression("o.zz"), Inner, Outer));
        Assert.Equal("column o.zz does not exist", error.Message);
        error = Assert.Throws<CohortException>(() => ExpressionCompiler.Compile(Parser.ParseExpression("q.k"), Inner, Outer));
        Assert.Equal("missing FROM-clause entry for table \"q\"", error.Message);
        error = Assert.Throws<CohortException>(() => ExpressionCompiler.Compile(Parser.ParseExpression("zz"), Inner, Outer));
        Assert.Equal("column \"zz\" does not exist", error.Message);
    }

    [Fact]
    public void Subquery_WithoutRunner_FailsClearly() =>
        Assert.Throws<InvalidOperationException>(() => Compile("EXISTS (SELECT 1)").Evaluate([1, 2], new EvaluationContext()));

    private static CompiledExpression Compile(string sql) => ExpressionCompiler.Compile(Parser.ParseExpression(sql), Outer);

    /// <summary>
    /// Runs a subquery over fixed rows of <c>i(k, w)</c>: filters by its WHERE (compiled with the outer schema, so
    /// correlated references read the outer row) and projects its single select item.
    /// </summary>
    private sealed class FakeRunner(Value[][] rows) : ISubqueryRunner
    {
        public List<Value[]> Calls { get; } = [];

        public HashSet<QueryExpression> Plans { get; } = new(ReferenceEqualityComparer.Instance);

        public Value Scalar(QueryExpression query, ReadOnlySpan<Value> outerRow, EvaluationContext context)
        {
            var values = Column(query, outerRow, context);
            return values.Count == 0 ? Value.Null : values[0];
        }

        public bool Exists(QueryExpression query, ReadOnlySpan<Value> outerRow, EvaluationContext context) =>
            Column(query, outerRow, context).Count > 0;

        public IReadOnlyList<Value> Column(QueryExpression query, ReadOnlySpan<Value> outerRow, EvaluationContext context)
        {
            Calls.Add(outerRow.ToArray());
            Plans.Add(query);
            var inner = context.ForSubquery(outerRow.ToArray());
            var select = (SelectStatement)query;
            var where = select.Where is { } w ? ExpressionCompiler.Compile(w, Inner, Outer) : null;
            var item = ExpressionCompiler.Compile(((ExpressionSelectItem)select.Items[0]).Expression, Inner, Outer);
            var result = new List<Value>();
            foreach (var row in rows)
            {
                if (where is null || where.IsSatisfied(row, inner))
                {
                    result.Add(item.Evaluate(row, inner));
                }
            }

            return result;
        }
    }
}
