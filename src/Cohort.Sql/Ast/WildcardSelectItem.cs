namespace Cohort.Sql.Ast;

/// <summary><c>*</c> or <c>t.*</c> in a SELECT or RETURNING list.</summary>
/// <param name="Table">The table or alias for <c>t.*</c>, or null for <c>*</c>.</param>
internal sealed record WildcardSelectItem(
    string? Table) : SelectItem;
