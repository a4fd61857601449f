namespace Cohort.Sql.Ast;

/// <summary>A column name, optionally qualified by a table name or alias (<c>t.col</c>). In ON CONFLICT DO UPDATE, <c>EXCLUDED.col</c> is a reference with <see cref="Table"/> <c>excluded</c>.</summary>
/// <param name="Table">The qualifier (normalized), or null.</param>
/// <param name="Column">The column name (normalized).</param>
internal sealed record ColumnReference(
    string? Table,
    string Column) : Expression;
