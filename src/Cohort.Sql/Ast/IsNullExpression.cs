namespace Cohort.Sql.Ast;

/// <summary><c>x IS [NOT] NULL</c>.</summary>
/// <param name="Operand">The tested value.</param>
/// <param name="Negated">True for IS NOT NULL.</param>
internal sealed record IsNullExpression(
    Expression Operand,
    bool Negated) : Expression;
