using System.Collections.Immutable;

namespace Cohort.Sql.Ast;

/// <summary><c>CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON table (cols)</c>.</summary>
/// <param name="Name">The index name (normalized).</param>
/// <param name="Table">The table name (normalized).</param>
/// <param name="Columns">The indexed columns, in order (at least one).</param>
/// <param name="Unique">Whether UNIQUE was given.</param>
/// <param name="IfNotExists">Whether IF NOT EXISTS was given.</param>
internal sealed record CreateIndexStatement(
    string Name,
    string Table,
    ImmutableArray<string> Columns,
    bool Unique,
    bool IfNotExists) : Statement;
