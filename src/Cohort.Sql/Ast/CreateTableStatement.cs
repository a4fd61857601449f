using System.Collections.Immutable;

namespace Cohort.Sql.Ast;

/// <summary><c>CREATE TABLE [IF NOT EXISTS] name (columns and constraints)</c>. Whether there is more than one primary key is left to the planner.</summary>
/// <param name="Name">The table name (normalized).</param>
/// <param name="IfNotExists">Whether IF NOT EXISTS was given.</param>
/// <param name="Columns">The columns, in order (at least one).</param>
/// <param name="Constraints">The table-level constraints, in order.</param>
internal sealed record CreateTableStatement(
    string Name,
    bool IfNotExists,
    ImmutableArray<ColumnDefinition> Columns,
    ImmutableArray<TableConstraint> Constraints) : Statement;
