namespace Cohort.Sql.Ast;

/// <summary>One ORDER BY key, <c>expr [ASC|DESC] [NULLS FIRST|LAST]</c>.</summary>
/// <param name="Expression">The sort key.</param>
/// <param name="Descending">Whether DESC was given.</param>
/// <param name="Nulls">The NULLS placement.</param>
internal sealed record OrderByItem(
    Expression Expression,
    bool Descending,
    NullsOrder Nulls) : SqlNode;
