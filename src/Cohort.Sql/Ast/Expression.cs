namespace Cohort.Sql.Ast;

/// <summary>A scalar expression.</summary>
internal abstract record Expression : SqlNode;
