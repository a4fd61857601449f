namespace Cohort.Sql.Ast;

/// <summary>An infix operator applied to two operands; <see cref="SqlNode.Position"/> is the operator's.</summary>
/// <param name="Operator">The operator.</param>
/// <param name="Left">The left operand.</param>
/// <param name="Right">The right operand.</param>
internal sealed record BinaryExpression(
    BinaryOperator Operator,
    Expression Left,
    Expression Right) : Expression;
