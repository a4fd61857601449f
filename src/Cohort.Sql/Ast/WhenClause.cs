namespace Cohort.Sql.Ast;

/// <summary>One <c>WHEN condition THEN result</c> arm of a CASE.</summary>
/// <param name="Condition">The condition, or the value compared with the CASE operand.</param>
/// <param name="Result">The result.</param>
internal sealed record WhenClause(
    Expression Condition,
    Expression Result) : SqlNode;
