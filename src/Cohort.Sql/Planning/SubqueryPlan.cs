namespace Cohort.Sql.Planning;

/// <summary>A planned subquery; an uncorrelated one runs once per statement execution and its result is reused.</summary>
internal sealed record SubqueryPlan(PlanNode Plan, bool Correlated);
