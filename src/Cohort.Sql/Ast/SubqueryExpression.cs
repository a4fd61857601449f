namespace Cohort.Sql.Ast;

/// <summary>A scalar subquery, <c>(SELECT …)</c>, used as a value.</summary>
/// <param name="Query">The subquery.</param>
internal sealed record SubqueryExpression(
    QueryExpression Query) : Expression;
