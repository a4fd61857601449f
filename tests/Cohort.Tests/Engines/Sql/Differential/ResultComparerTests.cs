using System.Collections.Immutable;

namespace Cohort.Tests.Engines.Sql.Differential;

/// <summary>The comparison the differential tests rely on: it must tell real differences from representation.</summary>
public sealed class ResultComparerTests
{
    private static readonly DifferentialQuery Unordered = new("t1", "SELECT …", false, []);
    private static readonly DifferentialQuery Ordered = new("t2", "SELECT … ORDER BY id", true, []);

    [Fact]
    public void Compare_SameRowsInAnotherOrder_AgreeUnlessOrdered()
    {
        var a = Result([1L, "x"], [2L, "y"]);
        var b = Result([2L, "y"], [1L, "x"]);
        Assert.Null(ResultComparer.Compare(Unordered, a, b));
        Assert.Contains("row 0 differs", ResultComparer.Compare(Ordered, a, b));
    }

    [Fact]
    public void Compare_BooleanAgainstSqliteInteger_AndNumbersAcrossKinds_Agree()
    {
        var sqlite = Result([1L, 0L, 12.5, 3.0, 0.30000000000000004, Value.Null]);
        var cohort = Result([true, false, 12.50m, 3L, 0.3m, Value.Null]);
        Assert.Null(ResultComparer.Compare(Unordered, sqlite, cohort));
    }

    [Fact]
    public void Compare_DuplicatesMissingNullsAndNearbyNumbers_Differ()
    {
        Assert.NotNull(ResultComparer.Compare(Unordered, Result([1L], [1L]), Result([1L])));
        Assert.NotNull(ResultComparer.Compare(Unordered, Result([1L], [1L]), Result([1L], [2L])));
        Assert.NotNull(ResultComparer.Compare(Unordered, Result([Value.Null]), Result([0L])));
        Assert.NotNull(ResultComparer.Compare(Unordered, Result([Value.Null]), Result(["NULL"])));
        Assert.NotNull(ResultComparer.Compare(Unordered, Result([12.34]), Result([12.35m])));
        Assert.NotNull(ResultComparer.Compare(Unordered, Result(["1"]), Result([1L])));
        Assert.NotNull(ResultComparer.Compare(Unordered, Result([1L, 2L]), Result([1L])));
    }

    [Fact]
    public void Compare_AFailure_IsReportedWithTheQuery()
    {
        var failed = QueryResult.Failed(new InvalidOperationException("boom"));
        var report = ResultComparer.Compare(Unordered, Result([1L]), failed);
        Assert.Contains("Cohort failed", report);
        Assert.Contains("boom", report);
        Assert.Contains(Unordered.Sql, report);
    }

    private static QueryResult Result(params Value[][] rows) =>
        new([.. Enumerable.Range(0, rows.Length == 0 ? 0 : rows[0].Length).Select(i => $"c{i}")], [.. rows.Select(r => r.ToImmutableArray())], null);
}
