namespace Cohort.Sql.Planning;

/// <summary>A planned SELECT: the root operator and the names of the output columns.</summary>
internal sealed record QueryPlan(PlanNode Root, IReadOnlyList<string> ColumnNames);
