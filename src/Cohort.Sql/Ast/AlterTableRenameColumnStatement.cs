namespace Cohort.Sql.Ast;

/// <summary><c>ALTER TABLE t RENAME [COLUMN] a TO b</c>.</summary>
/// <param name="Table">The table name (normalized).</param>
/// <param name="Column">The column's current name (normalized).</param>
/// <param name="NewName">The column's new name (normalized).</param>
internal sealed record AlterTableRenameColumnStatement(
    string Table,
    string Column,
    string NewName) : Statement;
