using Cohort.Core;
using Cohort.Sql.Execution;

namespace Cohort.Sql.Planning;

/// <summary>
/// Computes the select list. With <paramref name="keepInput"/> the input row follows the outputs, so a later sort
/// can order by expressions that are not selected; a <see cref="TrimNode"/> drops it afterwards.
/// </summary>
internal sealed class ProjectNode(PlanNode child, IReadOnlyList<CompiledExpression> outputs, RowSchema outputSchema, bool keepInput) : PlanNode
{
    public override RowSchema Schema { get; } = keepInput ? outputSchema.Concat(child.Schema) : outputSchema;

    public override IReadOnlyList<PlanNode> Children => [child];

    public override string Title => "Project: " + string.Join(", ", outputSchema.Columns.Select(c => c.Name));

    public override IEnumerable<Value[]> Execute(ExecutionState state, EvaluationContext context)
    {
        foreach (var row in child.Execute(state, context))
        {
            var result = new Value[outputs.Count + (keepInput ? row.Length : 0)];
            for (var i = 0; i < outputs.Count; i++)
            {
                result[i] = outputs[i].Evaluate(row, context);
            }

            if (keepInput)
            {
                row.CopyTo(result, outputs.Count);
            }

            yield return result;
        }
    }
}
