namespace Cohort.Sql.Ast;

/// <summary><c>ALTER TABLE t RENAME TO u</c>.</summary>
/// <param name="Table">The table's current name (normalized).</param>
/// <param name="NewName">The table's new name (normalized).</param>
internal sealed record AlterTableRenameStatement(
    string Table,
    string NewName) : Statement;
