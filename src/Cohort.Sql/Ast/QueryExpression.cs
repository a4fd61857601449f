namespace Cohort.Sql.Ast;

/// <summary>
/// A query: anything that yields rows and may stand wherever a SELECT may (a statement, a subquery, a derived table,
/// the source of an INSERT): a <see cref="SelectStatement"/>, a <see cref="SetOperationQuery"/>, a
/// <see cref="ValuesQuery"/> or a <see cref="WithQuery"/>.
/// </summary>
internal abstract record QueryExpression : Statement;
