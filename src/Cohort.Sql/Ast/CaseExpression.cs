using System.Collections.Immutable;

namespace Cohort.Sql.Ast;

/// <summary><c>CASE [operand] WHEN … THEN … [ELSE …] END</c>.</summary>
/// <param name="Operand">The simple-CASE operand, or null for a searched CASE.</param>
/// <param name="Whens">The arms (at least one).</param>
/// <param name="Else">The ELSE result, or null.</param>
internal sealed record CaseExpression(
    Expression? Operand,
    ImmutableArray<WhenClause> Whens,
    Expression? Else) : Expression;
