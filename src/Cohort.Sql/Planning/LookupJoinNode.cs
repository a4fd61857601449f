using Cohort.Core;
using Cohort.Sql.Ast;
using Cohort.Sql.Execution;

namespace Cohort.Sql.Planning;

/// <summary>
/// An inner join that reads the right table through its primary key or an index once per left row (an index
/// nested loop) while the left side is small, and otherwise hashes the right table as <paramref name="fallback"/>
/// does. The left rows are read first: up to <see cref="MaxLookups"/> of them, each looks its partners up with
/// <paramref name="lookup"/> (a scan whose key bounds read the left row as their enclosing row); beyond that, the
/// rows read so far and the rest go to the hash join. Either way <paramref name="filter"/> (the right table's own
/// conditions) and <paramref name="condition"/> (the join's) decide.
/// </summary>
internal sealed class LookupJoinNode(
    PlanNode left,
    ScanNode lookup,
    CompiledExpression? filter,
    Expression? filterSource,
    JoinNode fallback,
    Expression? source,
    CompiledExpression? condition) : PlanNode
{
    /// <summary>The most left rows that are looked up one by one; a larger left side is hash joined.</summary>
    public const int MaxLookups = 1024;

    public override RowSchema Schema => fallback.Schema;

    public override IReadOnlyList<PlanNode> Children => [left, lookup];

    public override string Title => "Nested Loop Join (index lookups, hash join beyond " + MaxLookups + " rows)";

    public override IEnumerable<string> Details
    {
        get
        {
            var details = new List<string>();
            if (source is not null)
            {
                details.Add("Join Filter: " + SqlPrinter.Print(source));
            }

            if (filterSource is not null)
            {
                details.Add($"Filter on {lookup.Schema[0].Table}: {SqlPrinter.Print(filterSource)}");
            }

            return details;
        }
    }

    public override IEnumerable<Value[]> Execute(ExecutionState state, EvaluationContext context)
    {
        var buffered = new List<Value[]>();
        using var rows = left.Execute(state, context).GetEnumerator();
        var more = false;
        try
        {
            while (rows.MoveNext())
            {
                state.Hold();
                buffered.Add(rows.Current);
                if (buffered.Count > MaxLookups)
                {
                    more = true;
                    break;
                }
            }

            if (more)
            {
                foreach (var joined in fallback.Execute(state, context, Rest(buffered, rows)))
                {
                    yield return joined;
                }

                yield break;
            }

            var outer = context.OuterRow;
            foreach (var l in buffered)
            {
                // The lookup's bounds read the left row, then the rows enclosing this query.
                var enclosing = new Value[l.Length + outer.Length];
                l.CopyTo(enclosing, 0);
                outer.Span.CopyTo(enclosing.AsSpan(l.Length));
                var inner = context.ForSubquery(enclosing);
                foreach (var r in lookup.Execute(state, inner))
                {
                    if (filter is not null && !filter.IsSatisfied(r, context))
                    {
                        continue;
                    }

                    var joined = new Value[l.Length + r.Length];
                    l.CopyTo(joined, 0);
                    r.CopyTo(joined, l.Length);
                    if (condition is null || condition.IsSatisfied(joined, context))
                    {
                        yield return joined;
                    }
                }
            }
        }
        finally
        {
            state.Release(buffered.Count);
        }
    }

    private static IEnumerable<Value[]> Rest(List<Value[]> buffered, IEnumerator<Value[]> rows)
    {
        foreach (var row in buffered)
        {
            yield return row;
        }

        while (rows.MoveNext())
        {
            yield return rows.Current;
        }
    }
}
