namespace Cohort.Sql.Ast;

/// <summary><c>EXPLAIN statement</c>, where the statement is a SELECT, INSERT, UPDATE or DELETE.</summary>
/// <param name="Statement">The explained statement.</param>
internal sealed record ExplainStatement(
    Statement Statement) : Statement;
