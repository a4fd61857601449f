namespace Cohort.Sql.Ast;

/// <summary>Two table sources joined. Joins are left-deep: <c>a JOIN b ON … JOIN c ON …</c> is ((a, b), c).</summary>
/// <param name="Kind">The join kind.</param>
/// <param name="Left">The left side.</param>
/// <param name="Right">The right side.</param>
/// <param name="Condition">The ON condition; null exactly for CROSS JOIN.</param>
internal sealed record JoinedTable(
    JoinKind Kind,
    TableSource Left,
    TableSource Right,
    Expression? Condition) : TableSource;
