using System.Collections.Immutable;

namespace Cohort.Sql.Ast;

/// <summary>A query: <c>SELECT [DISTINCT] items [FROM …] [WHERE …] [GROUP BY …] [HAVING …] [ORDER BY …] [LIMIT n] [OFFSET n] [AS OF ts]</c>.</summary>
/// <param name="Distinct">Whether DISTINCT was given.</param>
/// <param name="Items">The projection (at least one item).</param>
/// <param name="From">The comma-separated FROM entries (cross joined); empty when there is no FROM.</param>
/// <param name="Where">The WHERE condition, or null.</param>
/// <param name="GroupBy">The GROUP BY keys; empty when absent.</param>
/// <param name="Having">The HAVING condition, or null.</param>
/// <param name="OrderBy">The ORDER BY keys; empty when absent.</param>
/// <param name="Limit">The LIMIT count, or null.</param>
/// <param name="Offset">The OFFSET count, or null.</param>
/// <param name="AsOf">The <c>AS OF</c> timestamp expression (usually a string literal or parameter), or null.</param>
internal sealed record SelectStatement(
    bool Distinct,
    ImmutableArray<SelectItem> Items,
    ImmutableArray<TableSource> From,
    Expression? Where,
    ImmutableArray<Expression> GroupBy,
    Expression? Having,
    ImmutableArray<OrderByItem> OrderBy,
    Expression? Limit,
    Expression? Offset,
    Expression? AsOf) : QueryExpression;
