namespace Cohort.Sql.Ast;

/// <summary><c>INSERT … SELECT …</c>: the rows a query returns.</summary>
/// <param name="Query">The query.</param>
internal sealed record QuerySource(
    QueryExpression Query) : InsertSource;
