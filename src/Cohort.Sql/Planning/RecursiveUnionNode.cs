using Cohort.Core;
using Cohort.Sql.Execution;
using Cohort.Sql.Storage;

namespace Cohort.Sql.Planning;

/// <summary>
/// <c>WITH RECURSIVE</c>: the non-recursive term's rows, then the recursive term run again and again over the rows
/// the step before produced, until a step produces none. With UNION (not ALL) a row already produced is dropped.
/// Rows are produced as they are found, so a LIMIT over the query stops it; a query that does not stop fails once it
/// has produced more rows than the statement may hold (<see cref="ExecutionState.MaxHeldRows"/>), or at its deadline.
/// </summary>
internal sealed class RecursiveUnionNode(PlanNode anchor, PlanNode recursive, WorkTable table, bool all, IReadOnlyList<Ast.SqlType?> targets, RowSchema schema) : PlanNode
{
    public override RowSchema Schema => schema;

    public override IReadOnlyList<PlanNode> Children => [anchor, recursive];

    public override string Title => $"Recursive Union on {table.Name}" + (all ? " All" : string.Empty);

    public override IEnumerable<Value[]> Execute(ExecutionState state, EvaluationContext context)
    {
        var seen = all ? null : new HashSet<SqlKey>(SqlKeyComparer.Instance);
        var working = new List<Value[]>();
        long produced = 0;
        long held = 0;
        try
        {
            foreach (var row in anchor.Execute(state, context))
            {
                if (Keep(row) is { } kept)
                {
                    working.Add(kept);
                    yield return kept;
                }
            }

            while (working.Count > 0)
            {
                var next = new List<Value[]>();
                var previous = state.SetWorkTableRows(table, working);
                try
                {
                    foreach (var row in recursive.Execute(state, context))
                    {
                        if (Keep(row) is { } kept)
                        {
                            next.Add(kept);
                            yield return kept;
                        }
                    }
                }
                finally
                {
                    state.SetWorkTableRows(table, previous);
                }

                if (all)
                {
                    // The step's rows are let go of; with UNION they stay in the set of rows seen.
                    state.Release(working.Count);
                    held -= working.Count;
                }

                working = next;
            }
        }
        finally
        {
            state.Release(held);
        }

        Value[]? Keep(Value[] row)
        {
            var converted = ConvertNode.Convert(row, targets);
            if (seen is not null && !seen.Add(RowKeys.Of(converted)))
            {
                state.Tick();
                return null;
            }

            if (++produced > state.MaxHeldRows)
            {
                throw new CohortException(
                    ErrorCodes.BadOperation,
                    $"recursive query \"{table.Name}\" produced more than {state.MaxHeldRows:N0} rows and was stopped: its recursive term probably never stops finding new rows; add a condition that ends it, or a LIMIT",
                    isTransient: false);
            }

            state.Hold();
            held++;
            return converted;
        }
    }
}
