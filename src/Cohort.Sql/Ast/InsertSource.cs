namespace Cohort.Sql.Ast;

/// <summary>Where an INSERT takes its rows from: a VALUES list or a query.</summary>
internal abstract record InsertSource : SqlNode;
