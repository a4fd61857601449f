namespace Cohort.Sql.Ast;

/// <summary><c>x [NOT] IN (SELECT …)</c>.</summary>
/// <param name="Operand">The tested value.</param>
/// <param name="Query">The subquery.</param>
/// <param name="Negated">True for NOT IN.</param>
internal sealed record InSubqueryExpression(
    Expression Operand,
    QueryExpression Query,
    bool Negated) : Expression;
