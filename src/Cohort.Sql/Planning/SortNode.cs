using System.Runtime.ExceptionServices;
using Cohort.Core;
using Cohort.Sql.Execution;

namespace Cohort.Sql.Planning;

/// <summary>A sort key: the expression, the direction and where NULLs go (PostgreSQL: last ascending, first descending).</summary>
internal sealed record SortKey(CompiledExpression Expression, bool Descending, bool NullsFirst, string Text);

/// <summary>ORDER BY: a stable sort on the keys.</summary>
internal sealed class SortNode(PlanNode child, IReadOnlyList<SortKey> keys) : PlanNode
{
    public override RowSchema Schema => child.Schema;

    public override IReadOnlyList<PlanNode> Children => [child];

    public override string Title => "Sort";

    public override IEnumerable<string> Details => ["Sort Key: " + string.Join(", ", keys.Select(k => k.Text))];

    public override IEnumerable<Value[]> Execute(ExecutionState state, EvaluationContext context)
    {
        var rows = new List<(Value[] Keys, Value[] Row)>();
        foreach (var row in child.Execute(state, context))
        {
            var values = new Value[keys.Count];
            for (var i = 0; i < keys.Count; i++)
            {
                values[i] = keys[i].Expression.Evaluate(row, context);
            }

            state.Hold();
            rows.Add((values, row));
        }

        // List.Sort is unstable; sort indexes with the position as the last key.
        var order = Enumerable.Range(0, rows.Count).ToArray();
        try
        {
            Sort(order, rows);
        }
        catch (InvalidOperationException e) when (e.InnerException is CohortException error)
        {
            // Array.Sort wraps what the comparison throws; the caller must see the SQL error itself.
            ExceptionDispatchInfo.Throw(error);
        }

        try
        {
            foreach (var i in order)
            {
                yield return rows[i].Row;
            }
        }
        finally
        {
            state.Release(rows.Count);
        }
    }

    private void Sort(int[] order, List<(Value[] Keys, Value[] Row)> rows) =>
        Array.Sort(order, (a, b) =>
        {
            var x = rows[a].Keys;
            var y = rows[b].Keys;
            for (var i = 0; i < keys.Count; i++)
            {
                var c = Compare(x[i], y[i], keys[i]);
                if (c != 0)
                {
                    return c;
                }
            }

            return a.CompareTo(b);
        });

    private static int Compare(Value x, Value y, SortKey key)
    {
        if (x.IsNull || y.IsNull)
        {
            if (x.IsNull && y.IsNull)
            {
                return 0;
            }

            return x.IsNull == key.NullsFirst ? -1 : 1;
        }

        var c = SqlSemantics.Compare(x, y) ?? throw SqlError.Type($"could not compare {SqlSemantics.TypeName(x)} with {SqlSemantics.TypeName(y)} in ORDER BY");
        return key.Descending ? -c : c;
    }
}
