using System.Collections.Immutable;

namespace Cohort.Sql.Ast;

/// <summary><c>DELETE FROM t [AS alias] [WHERE …] [RETURNING …]</c>.</summary>
/// <param name="Table">The target table.</param>
/// <param name="Where">The WHERE condition, or null.</param>
/// <param name="Returning">The RETURNING list; empty when absent.</param>
internal sealed record DeleteStatement(
    TableReference Table,
    Expression? Where,
    ImmutableArray<SelectItem> Returning) : Statement;
