namespace Cohort.Sql.Ast;

/// <summary>One entry of a SELECT list or RETURNING list.</summary>
internal abstract record SelectItem : SqlNode;
