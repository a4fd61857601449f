namespace Cohort.Sql.Ast;

/// <summary><c>x [NOT] LIKE pattern [ESCAPE e]</c>.</summary>
/// <param name="Operand">The tested value.</param>
/// <param name="Pattern">The pattern.</param>
/// <param name="Escape">The escape character expression, or null.</param>
/// <param name="Negated">True for NOT LIKE.</param>
internal sealed record LikeExpression(
    Expression Operand,
    Expression Pattern,
    Expression? Escape,
    bool Negated) : Expression;
