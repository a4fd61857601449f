namespace Cohort.Sql.Ast;

/// <summary><c>expr [AS alias]</c> in a SELECT or RETURNING list.</summary>
/// <param name="Expression">The value.</param>
/// <param name="Alias">The output name (normalized), or null.</param>
internal sealed record ExpressionSelectItem(
    Expression Expression,
    string? Alias) : SelectItem;
