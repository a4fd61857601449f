using Cohort.Core;
using Cohort.Sql.Ast;
using Cohort.Sql.Execution;
using Cohort.Sql.Storage;

namespace Cohort.Sql.Planning;

/// <summary>
/// An inner, left or full join. The right input is read once per execution and held; with equality conditions
/// between the two sides (<paramref name="leftKeys"/> = <paramref name="rightKeys"/>) it is hashed on them and each
/// left row probes it, otherwise every pair is tested. The full condition is always checked on candidate pairs. A
/// key that is NULL matches nothing; keys compare as SQL values (an integer 1 equals a numeric 1.0). A right join is
/// planned as a left join with its inputs exchanged.
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
    /// <summary>The join kind: <see cref="JoinKind.Inner"/>, <see cref="JoinKind.Left"/> or <see cref="JoinKind.Full"/>.</summary>
    public JoinKind Kind { get; } = kind is JoinKind.Left or JoinKind.Full ? kind : JoinKind.Inner;

    public override RowSchema Schema { get; } = left.Schema.Concat(right.Schema);

    public override IReadOnlyList<PlanNode> Children => [left, right];

    public override string Title => (leftKeys.Count > 0 ? "Hash " : "Nested Loop ") + Kind switch
    {
        JoinKind.Left => "Left Join",
        JoinKind.Full => "Full Join",
        _ => "Join",
    };

    public override IEnumerable<string> Details => source is null ? [] : [(leftKeys.Count > 0 ? "Hash Cond: " : "Join Filter: ") + SqlPrinter.Print(source)];

    public override IEnumerable<Value[]> Execute(ExecutionState state, EvaluationContext context) => Execute(state, context, left.Execute(state, context));

    /// <summary>Joins <paramref name="leftRows"/> (rows shaped as the left input) with the right input.</summary>
    public IEnumerable<Value[]> Execute(ExecutionState state, EvaluationContext context, IEnumerable<Value[]> leftRows)
    {
        // The build side is held for the whole join.
        var rightRows = new List<Value[]>();
        try
        {
            foreach (var row in right.Execute(state, context))
            {
                state.Hold();
                rightRows.Add(row);
            }

            foreach (var joined in Probe(state, context, rightRows, leftRows))
            {
                yield return joined;
            }
        }
        finally
        {
            state.Release(rightRows.Count);
        }
    }

    private IEnumerable<Value[]> Probe(ExecutionState state, EvaluationContext context, List<Value[]> rightRows, IEnumerable<Value[]> leftRows)
    {
        Dictionary<SqlKey, List<int>>? table = null;
        if (leftKeys.Count > 0)
        {
            table = new Dictionary<SqlKey, List<int>>(SqlKeyComparer.Instance);
            for (var i = 0; i < rightRows.Count; i++)
            {
                if (KeyOf(rightKeys, rightRows[i], context) is { } key)
                {
                    if (!table.TryGetValue(key, out var bucket))
                    {
                        table[key] = bucket = [];
                    }

                    bucket.Add(i);
                }
            }
        }

        var matchedRight = Kind == JoinKind.Full ? new bool[rightRows.Count] : null;
        var leftWidth = left.Schema.Count;
        var rightWidth = right.Schema.Count;
        foreach (var l in leftRows)
        {
            var matched = false;
            if (table is null)
            {
                for (var i = 0; i < rightRows.Count; i++)
                {
                    if (Pair(state, context, l, rightRows[i]) is { } joined)
                    {
                        matched = true;
                        matchedRight?[i] = true;
                        yield return joined;
                    }
                }
            }
            else if (KeyOf(leftKeys, l, context) is { } key && table.TryGetValue(key, out var bucket))
            {
                foreach (var i in bucket)
                {
                    if (Pair(state, context, l, rightRows[i]) is { } joined)
                    {
                        matched = true;
                        matchedRight?[i] = true;
                        yield return joined;
                    }
                }
            }
            else
            {
                state.Tick();
            }

            if (!matched && Kind != JoinKind.Inner)
            {
                var padded = new Value[leftWidth + rightWidth];
                l.CopyTo(padded, 0);
                yield return padded;
            }
        }

        if (matchedRight is not null)
        {
            for (var i = 0; i < rightRows.Count; i++)
            {
                if (!matchedRight[i])
                {
                    var padded = new Value[leftWidth + rightWidth];
                    rightRows[i].CopyTo(padded, leftWidth);
                    yield return padded;
                }
            }
        }
    }

    private Value[]? Pair(ExecutionState state, EvaluationContext context, Value[] l, Value[] r)
    {
        state.Tick();
        var joined = new Value[l.Length + r.Length];
        l.CopyTo(joined, 0);
        r.CopyTo(joined, l.Length);
        return condition is null || condition.IsSatisfied(joined, context) ? joined : null;
    }

    // NULL never equals anything, so a row with a NULL key has no partner.
    internal static SqlKey? KeyOf(IReadOnlyList<CompiledExpression> keys, Value[] row, EvaluationContext context)
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
