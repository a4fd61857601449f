namespace Cohort.Sql.Planning;

/// <summary>A planned query: the root operator and the names of the output columns.</summary>
internal sealed record QueryPlan(PlanNode Root, IReadOnlyList<string> ColumnNames)
{
    /// <summary>The output columns' types as far as they are known at plan time (one per column).</summary>
    public required IReadOnlyList<ResultType> Types { get; init; }
}
