using System.Collections.Immutable;

namespace Cohort.Sql.Ast;

/// <summary><c>UPDATE t [AS alias] SET c = e, … [WHERE …] [RETURNING …]</c>.</summary>
/// <param name="Table">The target table.</param>
/// <param name="Assignments">The assignments (at least one).</param>
/// <param name="Where">The WHERE condition, or null.</param>
/// <param name="Returning">The RETURNING list; empty when absent.</param>
internal sealed record UpdateStatement(
    TableReference Table,
    ImmutableArray<Assignment> Assignments,
    Expression? Where,
    ImmutableArray<SelectItem> Returning) : Statement;
