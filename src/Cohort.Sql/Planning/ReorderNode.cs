using Cohort.Core;
using Cohort.Sql.Execution;

namespace Cohort.Sql.Planning;

/// <summary>
/// Puts a join's columns back in the order of the FROM clause after the planner joined its items in another order
/// (so <c>SELECT *</c> and every later column position see the order the query was written in).
/// </summary>
internal sealed class ReorderNode(PlanNode child, int[] positions, RowSchema schema) : PlanNode
{
    public override RowSchema Schema { get; } = schema;

    public override IReadOnlyList<PlanNode> Children => [child];

    public override string Title => "Reorder";

    public override IEnumerable<Value[]> Execute(ExecutionState state, EvaluationContext context)
    {
        foreach (var row in child.Execute(state, context))
        {
            var result = new Value[positions.Length];
            for (var i = 0; i < positions.Length; i++)
            {
                result[i] = row[positions[i]];
            }

            yield return result;
        }
    }
}
