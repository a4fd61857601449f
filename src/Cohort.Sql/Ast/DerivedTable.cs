using System.Collections.Immutable;

namespace Cohort.Sql.Ast;

/// <summary>A subquery in FROM, <c>(query) [AS] alias [(column, …)]</c>.</summary>
/// <param name="Query">The subquery.</param>
/// <param name="Alias">The alias (required).</param>
internal sealed record DerivedTable(
    QueryExpression Query,
    string Alias) : TableSource
{
    /// <summary>The column aliases, <c>AS alias (a, b)</c>, renaming the subquery's first columns; empty when none are given.</summary>
    public ImmutableArray<string> ColumnAliases { get; init; } = [];
}
