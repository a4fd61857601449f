using Cohort.Core;
using Cohort.Sql.Ast;
using Cohort.Sql.Execution;

namespace Cohort.Sql.Planning;

/// <summary>
/// Converts the columns of an input to the types a set operation, VALUES or a recursive query resolved for them (a
/// string literal to a number, an integer to numeric), as PostgreSQL coerces each input to the common type; a null
/// target leaves its column alone.
/// </summary>
internal sealed class ConvertNode(PlanNode child, IReadOnlyList<SqlType?> targets, RowSchema schema) : PlanNode
{
    public override RowSchema Schema => schema;

    public override IReadOnlyList<PlanNode> Children => [child];

    public override string Title => "Convert: " + string.Join(", ", targets.Select(t => t?.ToString() ?? "-"));

    public override IEnumerable<Value[]> Execute(ExecutionState state, EvaluationContext context)
    {
        foreach (var row in child.Execute(state, context))
        {
            yield return Convert(row, targets);
        }
    }

    /// <summary>A copy of <paramref name="row"/> with each column converted to its non-null target type.</summary>
    public static Value[] Convert(Value[] row, IReadOnlyList<SqlType?> targets)
    {
        var result = (Value[])row.Clone();
        for (var i = 0; i < targets.Count; i++)
        {
            if (targets[i] is { } type)
            {
                result[i] = SqlSemantics.Cast(result[i], type);
            }
        }

        return result;
    }
}
