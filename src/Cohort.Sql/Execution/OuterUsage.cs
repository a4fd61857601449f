namespace Cohort.Sql.Execution;

/// <summary>
/// Set by the expression compiler when an expression reads a column of an enclosing query: records the farthest
/// position read in the enclosing rows, so the planner can tell whether a nested subquery reaches past the level
/// that contains it (only then is that level correlated too).
/// </summary>
internal sealed class OuterUsage
{
    /// <summary>The largest enclosing-row position read, or -1.</summary>
    public int MaxIndex { get; private set; } = -1;

    /// <summary>Whether some compiled expression read an outer column.</summary>
    public bool IsUsed => MaxIndex >= 0;

    /// <summary>Records a read of enclosing-row position <paramref name="index"/>.</summary>
    public void Mark(int index) => MaxIndex = Math.Max(MaxIndex, index);
}
