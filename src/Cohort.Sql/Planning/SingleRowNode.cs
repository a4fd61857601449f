using Cohort.Core;
using Cohort.Sql.Execution;

namespace Cohort.Sql.Planning;

/// <summary>The one empty row a SELECT without FROM projects from.</summary>
internal sealed class SingleRowNode : PlanNode
{
    public static SingleRowNode Instance { get; } = new();

    public override RowSchema Schema => RowSchema.Empty;

    public override string Title => "Result";

    public override IEnumerable<Value[]> Execute(ExecutionState state, EvaluationContext context)
    {
        yield return [];
    }
}
