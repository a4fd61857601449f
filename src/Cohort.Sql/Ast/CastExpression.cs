namespace Cohort.Sql.Ast;

/// <summary><c>CAST(x AS type)</c>, <c>x::type</c>, or a typed literal such as <c>TIMESTAMP '2024-01-01'</c>.</summary>
/// <param name="Operand">The converted value.</param>
/// <param name="Type">The target type.</param>
internal sealed record CastExpression(
    Expression Operand,
    SqlType Type) : Expression;
