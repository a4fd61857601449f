using Cohort.Core;
using Cohort.Sql.Execution;
using Cohort.Sql.Storage;

namespace Cohort.Sql.Planning;

/// <summary>
/// GROUP BY and aggregates. Output rows are the group key values followed by the aggregate results; without
/// GROUP BY there is exactly one output row, even for no input (count 0, the others NULL), as in PostgreSQL.
/// </summary>
internal sealed class AggregateNode(PlanNode child, IReadOnlyList<CompiledExpression> groupKeys, IReadOnlyList<AggregateSpec> aggregates, RowSchema schema, IReadOnlyList<string> groupText) : PlanNode
{
    public override RowSchema Schema => schema;

    public override IReadOnlyList<PlanNode> Children => [child];

    public override string Title => groupKeys.Count > 0 ? "HashAggregate" : "Aggregate";

    public override IEnumerable<string> Details => groupKeys.Count > 0 ? ["Group Key: " + string.Join(", ", groupText)] : [];

    public override IEnumerable<Value[]> Execute(ExecutionState state, EvaluationContext context)
    {
        var groups = new Dictionary<SqlKey, (Value[] Keys, Accumulator[] States)>(SqlKeyComparer.Instance);
        var order = new List<SqlKey>();
        var held = 0;

        // Without GROUP BY every row feeds the one group: no key to build and look up per row.
        (Value[] Keys, Accumulator[] States)? single = groupKeys.Count == 0 ? ([], [.. aggregates.Select(a => new Accumulator(a))]) : null;
        foreach (var row in child.Execute(state, context))
        {
            (Value[] Keys, Accumulator[] States) group;
            if (single is { } only)
            {
                group = only;
            }
            else
            {
                var keys = new Value[groupKeys.Count];
                for (var i = 0; i < keys.Length; i++)
                {
                    keys[i] = groupKeys[i].Evaluate(row, context);
                }

                var groupKey = RowKeys.Of(keys);
                if (!groups.TryGetValue(groupKey, out group))
                {
                    state.Hold();
                    held++;
                    group = (keys, aggregates.Select(a => new Accumulator(a)).ToArray());
                    groups[groupKey] = group;
                    order.Add(groupKey);
                }
            }

            for (var i = 0; i < aggregates.Count; i++)
            {
                var spec = aggregates[i];
                group.States[i].Add(spec.Argument is null ? Value.True : spec.Argument.Evaluate(row, context));
            }
        }

        if (single is { } one)
        {
            // One output row, also over no rows at all (count(*) of nothing is 0).
            var empty = RowKeys.Of([]);
            groups[empty] = one;
            order.Add(empty);
        }

        try
        {
            foreach (var output in Emit(groups, order))
            {
                yield return output;
            }
        }
        finally
        {
            state.Release(held);
        }
    }

    private static IEnumerable<Value[]> Emit(Dictionary<SqlKey, (Value[] Keys, Accumulator[] States)> groups, List<SqlKey> order)
    {
        foreach (var key in order)
        {
            var (keys, states) = groups[key];
            var output = new Value[keys.Length + states.Length];
            keys.CopyTo(output, 0);
            for (var i = 0; i < states.Length; i++)
            {
                output[keys.Length + i] = states[i].Result();
            }

            yield return output;
        }
    }

    private sealed class Accumulator(AggregateSpec spec)
    {
        private readonly HashSet<SqlKey>? _distinct = spec.Distinct ? new(SqlKeyComparer.Instance) : null;
        private long _count;
        private Value _value;

        public void Add(Value value)
        {
            if (value.IsNull || (_distinct is not null && !_distinct.Add(RowKeys.Of([value]))))
            {
                return;
            }

            _count++;
            switch (spec.Name)
            {
                case "count":
                    break;
                case "sum" or "avg" when SqlInterval.IsInterval(value):
                    _value = _count == 1 ? value : SqlInterval.Add(SqlInterval.FromValue(_value), SqlInterval.FromValue(value)).ToValue();
                    break;
                case "sum":
                case "avg":
                    if (!SqlSemantics.IsNumeric(value))
                    {
                        throw SqlError.Type($"function {spec.Name}({SqlSemantics.TypeName(value)}) does not exist");
                    }

                    _value = _count == 1 ? value : Add(_value, value);
                    break;
                case "min":
                    _value = _count == 1 || Order(value, _value) < 0 ? value : _value;
                    break;
                case "max":
                    _value = _count == 1 || Order(value, _value) > 0 ? value : _value;
                    break;
                default:
                    throw new InvalidOperationException($"unknown aggregate {spec.Name}");
            }
        }

        public Value Result() => spec.Name switch
        {
            "count" => Value.From(_count),
            _ when _count == 0 => Value.Null,
            "avg" => _value.Kind switch
            {
                ValueKind.List => SqlInterval.FromValue(_value).Divide(_count).ToValue(),
                ValueKind.Double => Value.From(_value.AsDouble() / _count),
                _ => Value.From(ToDecimal(_value) / _count),
            },
            _ => _value,
        };

        private static int Order(Value a, Value b) =>
            SqlSemantics.Compare(a, b) ?? throw SqlError.Type($"could not compare {SqlSemantics.TypeName(a)} with {SqlSemantics.TypeName(b)}");

        // Integer sums overflow into NUMERIC, as PostgreSQL's sum(bigint) returns numeric.
        private static Value Add(Value sum, Value value)
        {
            if (sum.Kind == ValueKind.Int64 && value.Kind == ValueKind.Int64)
            {
                var a = sum.AsInt64();
                var b = value.AsInt64();
                var r = a + b;
                return ((a ^ r) & (b ^ r)) < 0 ? Value.From((decimal)a + b) : Value.From(r);
            }

            return SqlSemantics.Arithmetic(Ast.BinaryOperator.Add, sum, value);
        }

        private static decimal ToDecimal(Value value) => value.Kind switch
        {
            ValueKind.Int64 => value.AsInt64(),
            ValueKind.Decimal => value.AsDecimal(),
            _ => (decimal)value.AsDouble(),
        };
    }
}
