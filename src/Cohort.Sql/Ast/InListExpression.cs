using System.Collections.Immutable;

namespace Cohort.Sql.Ast;

/// <summary><c>x [NOT] IN (a, b, …)</c>.</summary>
/// <param name="Operand">The tested value.</param>
/// <param name="Items">The list (at least one item).</param>
/// <param name="Negated">True for NOT IN.</param>
internal sealed record InListExpression(
    Expression Operand,
    ImmutableArray<Expression> Items,
    bool Negated) : Expression;
