using Cohort.Core;
using Cohort.Sql.Execution;
using Cohort.Sql.Storage;

namespace Cohort.Sql.Planning;

/// <summary>SELECT DISTINCT: the first of each group of rows equal in their first <paramref name="width"/> columns (NULLs equal, 1 = 1.0).</summary>
internal sealed class DistinctNode(PlanNode child, int width) : PlanNode
{
    public override RowSchema Schema => child.Schema;

    public override IReadOnlyList<PlanNode> Children => [child];

    public override string Title => "Unique";

    public override IEnumerable<Value[]> Execute(ExecutionState state, EvaluationContext context)
    {
        var seen = new HashSet<SqlKey>(SqlKeyComparer.Instance);
        try
        {
            foreach (var row in child.Execute(state, context))
            {
                if (seen.Add(RowKeys.Of(row.AsSpan(0, width))))
                {
                    state.Hold();
                    yield return row;
                }
            }
        }
        finally
        {
            state.Release(seen.Count);
        }
    }
}
