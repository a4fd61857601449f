namespace Cohort.Sql.Ast;

/// <summary><c>x [NOT] BETWEEN low AND high</c>.</summary>
/// <param name="Operand">The tested value.</param>
/// <param name="Low">The lower bound.</param>
/// <param name="High">The upper bound.</param>
/// <param name="Negated">True for NOT BETWEEN.</param>
internal sealed record BetweenExpression(
    Expression Operand,
    Expression Low,
    Expression High,
    bool Negated) : Expression;
