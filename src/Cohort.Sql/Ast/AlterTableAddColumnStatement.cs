namespace Cohort.Sql.Ast;

/// <summary><c>ALTER TABLE t ADD [COLUMN] [IF NOT EXISTS] definition</c>.</summary>
/// <param name="Table">The table name (normalized).</param>
/// <param name="Column">The new column.</param>
/// <param name="IfNotExists">Whether IF NOT EXISTS was given.</param>
internal sealed record AlterTableAddColumnStatement(
    string Table,
    ColumnDefinition Column,
    bool IfNotExists) : Statement;
