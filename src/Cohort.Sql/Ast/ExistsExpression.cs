namespace Cohort.Sql.Ast;

/// <summary><c>[NOT] EXISTS (SELECT …)</c>; <c>NOT</c> applied to an EXISTS is folded into <see cref="Negated"/>.</summary>
/// <param name="Query">The subquery.</param>
/// <param name="Negated">True for NOT EXISTS.</param>
internal sealed record ExistsExpression(
    QueryExpression Query,
    bool Negated) : Expression;
