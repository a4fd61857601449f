using System.Collections.Immutable;

namespace Cohort.Sql.Ast;

/// <summary>
/// <c>VALUES (…), (…) [ORDER BY …] [LIMIT n] [OFFSET n]</c> as a query: its columns are named column1, column2, ….
/// </summary>
/// <param name="Rows">The rows (at least one, all of the same width).</param>
/// <param name="OrderBy">The ORDER BY keys; empty when absent.</param>
/// <param name="Limit">The LIMIT count, or null.</param>
/// <param name="Offset">The OFFSET count, or null.</param>
internal sealed record ValuesQuery(
    ImmutableArray<ImmutableArray<Expression>> Rows,
    ImmutableArray<OrderByItem> OrderBy,
    Expression? Limit,
    Expression? Offset) : QueryExpression;
