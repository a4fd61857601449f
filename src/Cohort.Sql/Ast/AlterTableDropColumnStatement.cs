namespace Cohort.Sql.Ast;

/// <summary><c>ALTER TABLE t DROP [COLUMN] [IF EXISTS] c [RESTRICT | CASCADE]</c>.</summary>
/// <param name="Table">The table name (normalized).</param>
/// <param name="Column">The column to drop (normalized).</param>
/// <param name="IfExists">Whether IF EXISTS was given (a missing column is then skipped).</param>
/// <param name="Cascade">Whether CASCADE was given (nothing outside the table can depend on a column here, so it changes nothing).</param>
internal sealed record AlterTableDropColumnStatement(
    string Table,
    string Column,
    bool IfExists,
    bool Cascade) : Statement;
