using Cohort.Core;
using Cohort.Sql.Execution;

namespace Cohort.Sql.Planning;

/// <summary>A derived table or a common table expression: the subquery's rows under the alias of the FROM item (and its column aliases, when given).</summary>
internal sealed class AliasNode(PlanNode child, string alias, IReadOnlyList<string>? names = null) : PlanNode
{
    public override RowSchema Schema { get; } = names is null
        ? child.Schema.WithTable(alias)
        : new RowSchema(child.Schema.Columns.Select((c, i) => c with { Table = alias, Name = i < names.Count ? names[i] : c.Name }));

    public override IReadOnlyList<PlanNode> Children => [child];

    public override string Title => $"Subquery Scan on {alias}";

    public override IEnumerable<Value[]> Execute(ExecutionState state, EvaluationContext context) => child.Execute(state, context);
}
