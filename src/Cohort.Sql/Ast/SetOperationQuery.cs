using System.Collections.Immutable;

namespace Cohort.Sql.Ast;

/// <summary>
/// <c>left UNION|INTERSECT|EXCEPT [ALL] right [ORDER BY …] [LIMIT n] [OFFSET n]</c>: the ORDER BY, LIMIT and OFFSET
/// apply to the result of the whole operation (an operand's own ones are inside it, written in parentheses).
/// </summary>
/// <param name="Operator">The operation.</param>
/// <param name="All">Whether ALL was given (duplicates kept); otherwise duplicates are removed.</param>
/// <param name="Left">The left operand.</param>
/// <param name="Right">The right operand.</param>
/// <param name="OrderBy">The ORDER BY keys; empty when absent.</param>
/// <param name="Limit">The LIMIT count, or null.</param>
/// <param name="Offset">The OFFSET count, or null.</param>
internal sealed record SetOperationQuery(
    SetOperator Operator,
    bool All,
    QueryExpression Left,
    QueryExpression Right,
    ImmutableArray<OrderByItem> OrderBy,
    Expression? Limit,
    Expression? Offset) : QueryExpression;
