using Cohort.Core;
using Cohort.Sql.Ast;
using Cohort.Sql.Execution;
using Cohort.Sql.Storage;

namespace Cohort.Sql.Planning;

/// <summary>
/// An inner or left join. The right input is read once per execution; with equality conditions between the two
/// sides (<paramref name="leftKeys"/> = <paramref name="rightKeys"/>) it is hashed on them and each left row probes
/// it, otherwise every pair is tested. The full condition is always checked on candidate pairs.
/// </summary>
internal sealed class JoinNode(
    JoinKind kind,
    PlanNode left,
    PlanNode right,
    Expression? source,
    CompiledExpression? condition,
    IReadOnlyList<CompiledExpression> leftKeys,
    IReadOnlyList<CompiledExpression> rightKeys) : PlanNode
{
    public override RowSchema Schema { get; } = left.Schema.Concat(right.Schema);

    public override IReadOnlyList<PlanNode> Children => [left, right];

    public override string Title => (leftKeys.Count > 0 ? "Hash " : "Nested Loop ") + (kind == JoinKind.Left ? "Left Join" : "Join");

    public override IEnumerable<string> Details => source is null ? [] : [(leftKeys.Count > 0 ? "Hash Cond: " : "Join Filter: ") + SqlPrinter.Print(source)];

    public override IEnumerable<Value[]> Execute(ExecutionState state, EvaluationContext context)
    {
        // The build side is held for the whole join.
        var rightRows = new List<Value[]>();
        foreach (var row in right.Execute(state, context))
        {
            state.Hold();
            rightRows.Add(row);
        }

        try
        {
            foreach (var joined in Probe(state, context, rightRows))
            {
                yield return joined;
            }
        }
        finally
        {
            state.Release(rightRows.Count);
        }
    }

    private IEnumerable<Value[]> Probe(ExecutionState state, EvaluationContext context, List<Value[]> rightRows)
    {
        Dictionary<SqlKey, List<Value[]>>? table = null;
        if (leftKeys.Count > 0)
        {
            table = new Dictionary<SqlKey, List<Value[]>>(SqlKeyComparer.Instance);
            foreach (var row in rightRows)
            {
                if (KeyOf(rightKeys, row, context) is { } key)
                {
                    if (!table.TryGetValue(key, out var bucket))
                    {
                        table[key] = bucket = [];
                    }

                    bucket.Add(row);
                }
            }
        }

        var width = right.Schema.Count;
        foreach (var l in left.Execute(state, context))
        {
            var matched = false;
            IEnumerable<Value[]> candidates = table is null
                ? rightRows
                : KeyOf(leftKeys, l, context) is { } key && table.TryGetValue(key, out var bucket) ? bucket : [];
            foreach (var r in candidates)
            {
                state.Tick();
                var joined = new Value[l.Length + r.Length];
                l.CopyTo(joined, 0);
                r.CopyTo(joined, l.Length);
                if (condition is null || condition.IsSatisfied(joined, context))
                {
                    matched = true;
                    yield return joined;
                }
            }

            if (!matched && kind == JoinKind.Left)
            {
                var padded = new Value[l.Length + width];
                l.CopyTo(padded, 0);
                yield return padded;
            }
        }
    }

    // NULL never equals anything, so a row with a NULL key has no partner.
    private static SqlKey? KeyOf(IReadOnlyList<CompiledExpression> keys, Value[] row, EvaluationContext context)
    {
        var values = new Value[keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            values[i] = keys[i].Evaluate(row, context);
            if (values[i].IsNull)
            {
                return null;
            }
        }

        return RowKeys.Of(values);
    }
}
