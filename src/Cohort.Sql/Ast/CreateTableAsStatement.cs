using System.Collections.Immutable;

namespace Cohort.Sql.Ast;

/// <summary>
/// <c>CREATE TABLE [IF NOT EXISTS] name [(column, …)] AS query</c>: a table with the query's columns (named by the list
/// when given) and result types, and no primary key, filled with the query's rows in the same transaction.
/// </summary>
/// <param name="Name">The table name (normalized).</param>
/// <param name="IfNotExists">Whether IF NOT EXISTS was given.</param>
/// <param name="Columns">The column names given; empty when the query's own names are used.</param>
/// <param name="Query">The query.</param>
internal sealed record CreateTableAsStatement(
    string Name,
    bool IfNotExists,
    ImmutableArray<string> Columns,
    QueryExpression Query) : Statement;
