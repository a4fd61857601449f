using Cohort.Core;
using Cohort.Sql.Execution;

namespace Cohort.Sql.Planning;

/// <summary>A derived table: the subquery's rows under the alias of the FROM item.</summary>
internal sealed class AliasNode(PlanNode child, string alias) : PlanNode
{
    public override RowSchema Schema { get; } = child.Schema.WithTable(alias);

    public override IReadOnlyList<PlanNode> Children => [child];

    public override string Title => $"Subquery Scan on {alias}";

    public override IEnumerable<Value[]> Execute(ExecutionState state, EvaluationContext context) => child.Execute(state, context);
}
