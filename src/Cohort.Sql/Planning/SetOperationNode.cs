using Cohort.Core;
using Cohort.Sql.Ast;
using Cohort.Sql.Execution;
using Cohort.Sql.Storage;

namespace Cohort.Sql.Planning;

/// <summary>
/// UNION, INTERSECT or EXCEPT [ALL] of two inputs of the same width: rows are compared as DISTINCT compares them (NULLs
/// equal, 1 = 1.0). Without ALL the result has no duplicates; with ALL a row appears as often as PostgreSQL's multiset
/// rules say (the sum, the smaller count, or the difference of the counts on the two sides).
/// </summary>
internal sealed class SetOperationNode(SetOperator op, bool all, PlanNode left, PlanNode right, RowSchema schema) : PlanNode
{
    public override RowSchema Schema => schema;

    public override IReadOnlyList<PlanNode> Children => [left, right];

    public override string Title => op switch
    {
        SetOperator.Union => all ? "Append" : "HashSetOp Union",
        SetOperator.Intersect => all ? "HashSetOp Intersect All" : "HashSetOp Intersect",
        _ => all ? "HashSetOp Except All" : "HashSetOp Except",
    };

    public override IEnumerable<Value[]> Execute(ExecutionState state, EvaluationContext context) => op switch
    {
        SetOperator.Union => Union(state, context),
        _ => IntersectOrExcept(state, context),
    };

    private IEnumerable<Value[]> Union(ExecutionState state, EvaluationContext context)
    {
        var seen = all ? null : new HashSet<SqlKey>(SqlKeyComparer.Instance);
        try
        {
            foreach (var input in new[] { left, right })
            {
                foreach (var row in input.Execute(state, context))
                {
                    if (seen is not null)
                    {
                        if (!seen.Add(RowKeys.Of(row)))
                        {
                            state.Tick();
                            continue;
                        }

                        state.Hold();
                    }

                    yield return row;
                }
            }
        }
        finally
        {
            state.Release(seen?.Count ?? 0);
        }
    }

    private IEnumerable<Value[]> IntersectOrExcept(ExecutionState state, EvaluationContext context)
    {
        // The right side's rows, counted; then the left side's rows in their order, each let through or not.
        var counts = new Dictionary<SqlKey, long>(SqlKeyComparer.Instance);
        var emitted = all ? null : new HashSet<SqlKey>(SqlKeyComparer.Instance);
        try
        {
            foreach (var row in right.Execute(state, context))
            {
                var key = RowKeys.Of(row);
                if (counts.TryGetValue(key, out var count))
                {
                    counts[key] = count + 1;
                    state.Tick();
                }
                else
                {
                    counts[key] = 1;
                    state.Hold();
                }
            }

            foreach (var row in left.Execute(state, context))
            {
                var key = RowKeys.Of(row);
                var present = counts.TryGetValue(key, out var count) && count > 0;
                bool pass;
                if (all)
                {
                    // INTERSECT ALL: as often as on both sides; EXCEPT ALL: as often as left exceeds right.
                    pass = op == SetOperator.Intersect ? present : !present;
                    if (present)
                    {
                        counts[key] = count - 1;
                    }
                }
                else
                {
                    pass = (op == SetOperator.Intersect ? present : !counts.ContainsKey(key)) && emitted!.Add(key);
                    if (pass)
                    {
                        state.Hold();
                    }
                }

                if (pass)
                {
                    yield return row;
                }
                else
                {
                    state.Tick();
                }
            }
        }
        finally
        {
            state.Release(counts.Count + (emitted?.Count ?? 0));
        }
    }
}
