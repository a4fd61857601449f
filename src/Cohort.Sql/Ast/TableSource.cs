namespace Cohort.Sql.Ast;

/// <summary>An entry of a FROM clause: a table, a derived table or a join.</summary>
internal abstract record TableSource : SqlNode;
