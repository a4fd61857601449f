namespace Cohort.Sql.Ast;

/// <summary>A prefix operator applied to an operand. A minus directly before a number literal is folded into the literal instead.</summary>
/// <param name="Operator">The operator.</param>
/// <param name="Operand">The operand.</param>
internal sealed record UnaryExpression(
    UnaryOperator Operator,
    Expression Operand) : Expression;
