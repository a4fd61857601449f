using Cohort.Core;
using Cohort.Sql.Execution;

namespace Cohort.Sql.Planning;

/// <summary>The recursive term's reference to its own query: the rows of the previous step.</summary>
internal sealed class WorkTableScanNode(WorkTable table, RowSchema schema) : PlanNode
{
    public override RowSchema Schema => schema;

    public override string Title => $"WorkTable Scan on {table.Name}";

    public override IEnumerable<Value[]> Execute(ExecutionState state, EvaluationContext context)
    {
        foreach (var row in state.WorkTableRows(table))
        {
            state.Tick();
            yield return row;
        }
    }
}
