using System.Collections.Immutable;

namespace Cohort.Sql.Ast;

/// <summary>One entry of a WITH clause, <c>name [(column, …)] AS (query)</c>.</summary>
/// <param name="Name">The name queries after it use (normalized).</param>
/// <param name="Columns">The column names given; empty when the query's own names are used.</param>
/// <param name="Query">The query.</param>
internal sealed record CommonTableExpression(
    string Name,
    ImmutableArray<string> Columns,
    QueryExpression Query) : SqlNode;
