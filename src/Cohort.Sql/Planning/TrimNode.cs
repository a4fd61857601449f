using Cohort.Core;
using Cohort.Sql.Execution;

namespace Cohort.Sql.Planning;

/// <summary>Keeps the first columns of each row (drops the sort-only input a <see cref="ProjectNode"/> carried along).</summary>
internal sealed class TrimNode(PlanNode child, int count) : PlanNode
{
    public override RowSchema Schema { get; } = new(child.Schema.Columns.Take(count));

    public override IReadOnlyList<PlanNode> Children => [child];

    public override string Title => "Result";

    public override IEnumerable<Value[]> Execute(ExecutionState state, EvaluationContext context)
    {
        foreach (var row in child.Execute(state, context))
        {
            yield return row.Length == count ? row : row[..count];
        }
    }
}
