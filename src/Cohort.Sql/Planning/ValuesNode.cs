using Cohort.Core;
using Cohort.Sql.Ast;
using Cohort.Sql.Execution;

namespace Cohort.Sql.Planning;

/// <summary>VALUES as a query: each row's expressions evaluated in order, converted to the columns' common types.</summary>
internal sealed class ValuesNode(IReadOnlyList<IReadOnlyList<CompiledExpression>> rows, IReadOnlyList<SqlType?> targets, RowSchema schema) : PlanNode
{
    public override RowSchema Schema => schema;

    public override string Title => $"Values Scan ({rows.Count} rows)";

    public override IEnumerable<Value[]> Execute(ExecutionState state, EvaluationContext context)
    {
        foreach (var expressions in rows)
        {
            state.Tick();
            var row = new Value[expressions.Count];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = expressions[i].Evaluate([], context);
                if (targets[i] is { } type)
                {
                    row[i] = SqlSemantics.Cast(row[i], type);
                }
            }

            yield return row;
        }
    }
}
