using System.Collections.Immutable;

namespace Cohort.Sql.Ast;

/// <summary>A table-level constraint, <c>[CONSTRAINT name] PRIMARY KEY (cols) | UNIQUE (cols)</c>.</summary>
/// <param name="Kind">The constraint kind.</param>
/// <param name="Columns">The columns, in order (at least one).</param>
/// <param name="Name">The constraint name, or null.</param>
internal sealed record TableConstraint(
    TableConstraintKind Kind,
    ImmutableArray<string> Columns,
    string? Name) : SqlNode;
