using Cohort.Core;

namespace Cohort.Sql.Ast;

/// <summary>A constant: Int64 for integers, Decimal (scale kept) for <c>1.50</c>, Double for <c>1e3</c>, String, Bool or Null.</summary>
/// <param name="Value">The constant.</param>
internal sealed record LiteralExpression(
    Value Value) : Expression;
