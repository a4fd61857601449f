using Cohort.Core;
using Cohort.Sql.Ast;
using Cohort.Sql.Execution;

namespace Cohort.Sql.Planning;

/// <summary>Keeps the rows for which the predicate is TRUE (not FALSE, not NULL).</summary>
internal sealed class FilterNode(PlanNode child, Expression source, CompiledExpression predicate, string title = "Filter") : PlanNode
{
    public override RowSchema Schema => child.Schema;

    public override IReadOnlyList<PlanNode> Children => [child];

    public override string Title => $"{title}: {SqlPrinter.Print(source)}";

    public override IEnumerable<Value[]> Execute(ExecutionState state, EvaluationContext context)
    {
        foreach (var row in child.Execute(state, context))
        {
            if (predicate.IsSatisfied(row, context))
            {
                yield return row;
            }
        }
    }
}
