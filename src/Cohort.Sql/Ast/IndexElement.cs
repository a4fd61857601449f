namespace Cohort.Sql.Ast;

/// <summary>One key of a CREATE INDEX: a column or a parenthesized expression, with its sort direction.</summary>
/// <param name="Column">The column name (normalized), or null for an expression.</param>
/// <param name="Expression">The key expression, or null for a plain column.</param>
/// <param name="Descending">Whether DESC was given.</param>
/// <param name="Nulls">NULLS FIRST / LAST, or the default.</param>
internal sealed record IndexElement(string? Column, Expression? Expression, bool Descending, NullsOrder Nulls) : SqlNode;
