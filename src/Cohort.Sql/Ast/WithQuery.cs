using System.Collections.Immutable;

namespace Cohort.Sql.Ast;

/// <summary>
/// <c>WITH [RECURSIVE] cte, … body</c>: each common table expression is visible to the ones after it and to the body;
/// with RECURSIVE, also to itself.
/// </summary>
/// <param name="Recursive">Whether RECURSIVE was given.</param>
/// <param name="Ctes">The common table expressions, in order (at least one).</param>
/// <param name="Body">The query they are visible in (with its own ORDER BY, LIMIT and OFFSET).</param>
internal sealed record WithQuery(
    bool Recursive,
    ImmutableArray<CommonTableExpression> Ctes,
    QueryExpression Body) : QueryExpression;
