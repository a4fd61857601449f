using Cohort.Core;
using Cohort.Sql.Execution;

namespace Cohort.Sql.Planning;

/// <summary>OFFSET and LIMIT; both are evaluated once per execution and must be non-negative integers (NULL means none).</summary>
internal sealed class LimitNode(PlanNode child, CompiledExpression? limit, CompiledExpression? offset) : PlanNode
{
    public override RowSchema Schema => child.Schema;

    public override IReadOnlyList<PlanNode> Children => [child];

    public override string Title => "Limit";

    public override IEnumerable<Value[]> Execute(ExecutionState state, EvaluationContext context)
    {
        var take = Count(limit, context, "LIMIT") ?? long.MaxValue;
        var skip = Count(offset, context, "OFFSET") ?? 0;
        if (take == 0)
        {
            yield break;
        }

        foreach (var row in child.Execute(state, context))
        {
            if (skip > 0)
            {
                skip--;
                continue;
            }

            yield return row;
            if (--take == 0)
            {
                yield break;
            }
        }
    }

    private static long? Count(CompiledExpression? expression, EvaluationContext context, string clause)
    {
        if (expression is null)
        {
            return null;
        }

        var value = expression.Evaluate([], context);
        if (value.IsNull)
        {
            return null;
        }

        if (!value.TryGetInt64(out var count))
        {
            var cast = SqlSemantics.Cast(value, new Ast.SqlType(Ast.SqlTypeKind.BigInt));
            count = cast.AsInt64();
        }

        return count >= 0 ? count : throw SqlError.Type($"{clause} must not be negative");
    }
}
