using Cohort.Sql.Ast;
using Cohort.Sql.Execution;
using Cohort.Sql.Parsing;

namespace Cohort.Tests.Sql.Execution;

public sealed class RowSchemaTests
{
    private static RowSchema Schema => ExpressionTestRows.Schema;

    [Theory]
    [InlineData(null, "s", 1)]
    [InlineData("t", "s", 1)]
    [InlineData("t", "i", 0)]
    [InlineData("u", "i", 6)]
    [InlineData(null, "x", 7)]
    public void Resolve_FindsTheColumnIndex(string? table, string column, int expected) => Assert.Equal(expected, Schema.Resolve(table, column));

    [Theory]
    [InlineData("zz", "column \"zz\" does not exist")]
    [InlineData("t.zz", "column t.zz does not exist")]
    [InlineData("i", "column reference \"i\" is ambiguous")]
    [InlineData("v.i", "missing FROM-clause entry for table \"v\"")]
    [InlineData("i + 1 > 2", "column reference \"i\" is ambiguous")]
    [InlineData("lower(w)", "column \"w\" does not exist")]
    public void Compile_BadColumnReference_FailsLikePostgres(string sql, string message)
    {
        var error = Assert.Throws<CohortException>(() => ExpressionCompiler.Compile(Parser.ParseExpression(sql), Schema));
        Assert.Equal(message, error.Message);
        Assert.Equal(ErrorCodes.BadOperation, error.Code);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public void TryResolve_ReportsEachOutcome()
    {
        Assert.Equal(ColumnLookup.Found, Schema.TryResolve("t", "b", out var index));
        Assert.Equal(4, index);
        Assert.Equal(ColumnLookup.Ambiguous, Schema.TryResolve(null, "i", out index));
        Assert.Equal(-1, index);
        Assert.Equal(ColumnLookup.NotFound, Schema.TryResolve("u", "s", out _));
        Assert.Equal(ColumnLookup.UnknownTable, Schema.TryResolve("w", "s", out _));
    }

    [Fact]
    public void WithTable_RequalifiesEveryColumn()
    {
        var aliased = Schema.WithTable("q");
        Assert.Equal(ColumnLookup.UnknownTable, aliased.TryResolve("t", "s", out _));
        Assert.Equal(1, aliased.Resolve("q", "s"));
        Assert.True(aliased.HasTable("q"));
        Assert.False(aliased.HasTable("t"));
        Assert.Equal(0, RowSchema.Empty.Count);
    }

    [Fact]
    public void Resolve_DuplicateNameInOneTable_IsAmbiguousEvenWhenQualified()
    {
        var schema = new RowSchema([new SchemaColumn("d", "a"), new SchemaColumn("d", "a")]);
        Assert.Equal("column reference \"a\" is ambiguous", Assert.Throws<CohortException>(() => schema.Resolve("d", "a")).Message);
    }
}
