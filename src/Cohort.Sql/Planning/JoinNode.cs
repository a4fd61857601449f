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
        HashTable? table = null;
        if (leftKeys.Count > 0)
        {
            table = new HashTable(leftKeys.Count);
            for (var i = 0; i < rightRows.Count; i++)
            {
                table.Add(rightKeys, rightRows[i], context, i);
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
            else if (table.Find(leftKeys, l, context) is { } bucket)
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

    /// <summary>
    /// The build side's row numbers by join key. One key column is kept by its value (no key object per row probed); more
    /// are kept as a <see cref="SqlKey"/>. NULL never equals anything, so a row with a NULL key has no partner.
    /// </summary>
    private sealed class HashTable(int columns)
    {
        private readonly Dictionary<Value, List<int>>? _single = columns == 1 ? new(SqlKeyComparer.Values) : null;
        private readonly Dictionary<SqlKey, List<int>>? _many = columns == 1 ? null : new(SqlKeyComparer.Instance);

        public void Add(IReadOnlyList<CompiledExpression> keys, Value[] row, EvaluationContext context, int index)
        {
            List<int>? bucket;
            if (_single is not null)
            {
                var value = keys[0].Evaluate(row, context);
                if (value.IsNull)
                {
                    return;
                }

                if (!_single.TryGetValue(value, out bucket))
                {
                    _single[value] = bucket = [];
                }
            }
            else
            {
                if (KeyOf(keys, row, context) is not { } key)
                {
                    return;
                }

                if (!_many!.TryGetValue(key, out bucket))
                {
                    _many[key] = bucket = [];
                }
            }

            bucket.Add(index);
        }

        public List<int>? Find(IReadOnlyList<CompiledExpression> keys, Value[] row, EvaluationContext context)
        {
            if (_single is not null)
            {
                var value = keys[0].Evaluate(row, context);
                return !value.IsNull && _single.TryGetValue(value, out var bucket) ? bucket : null;
            }

            return KeyOf(keys, row, context) is { } key && _many!.TryGetValue(key, out var found) ? found : null;
        }
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
