using System.Collections.Immutable;

namespace Cohort.Sql.Ast;

/// <summary><c>DROP TABLE [IF EXISTS] name [, name …] [RESTRICT]</c>: every table named, or none.</summary>
/// <param name="Names">The table names (normalized), at least one, each once (a table named twice is dropped once).</param>
/// <param name="IfExists">Whether IF EXISTS was given (a missing table is then skipped).</param>
internal sealed record DropTableStatement(
    ImmutableArray<string> Names,
    bool IfExists) : Statement;
