using Cohort.Core;
using Cohort.Sql.Ast;
using Cohort.Sql.Execution;
using Cohort.Sql.Storage;

namespace Cohort.Sql.Planning;

/// <summary>
/// One execution of a plan: the view it reads, the key ranges its scans resolved before execution (the ones that
/// were locked or waited for), and the results of uncorrelated subqueries. Also the subquery runner of the
/// statement's expressions.
/// </summary>
internal sealed class ExecutionState(ISqlView view, IReadOnlyDictionary<SelectStatement, SubqueryPlan> subqueries) : ISubqueryRunner
{
    private readonly Dictionary<ScanNode, SqlKeyRange> _ranges = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<SelectStatement, List<Value[]>> _results = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<SelectStatement, SubqueryColumn> _columns = new(ReferenceEqualityComparer.Instance);

    /// <summary>What the statement reads.</summary>
    public ISqlView View { get; } = view;

    /// <summary>Resolves and remembers the range of an uncorrelated scan (before execution, to lock or wait for it).</summary>
    public SqlKeyRange Resolve(ScanNode scan, EvaluationContext context)
    {
        if (!_ranges.TryGetValue(scan, out var range))
        {
            range = scan.Path.Resolve(context);
            _ranges[scan] = range;
        }

        return range;
    }

    /// <summary>The range a scan reads in this execution.</summary>
    public SqlKeyRange RangeOf(ScanNode scan, EvaluationContext context) =>
        scan.Path.IsCorrelated ? scan.Path.Resolve(context) : Resolve(scan, context);

    /// <inheritdoc/>
    public Value Scalar(SelectStatement query, ReadOnlySpan<Value> outerRow, EvaluationContext context)
    {
        var rows = Run(query, outerRow, context);
        if (rows.Count > 1)
        {
            throw SqlError.Type("more than one row returned by a subquery used as an expression");
        }

        if (rows.Count == 1 && rows[0].Length != 1)
        {
            throw SqlError.Type("subquery must return only one column");
        }

        return rows.Count == 0 ? Value.Null : rows[0][0];
    }

    /// <inheritdoc/>
    public bool Exists(SelectStatement query, ReadOnlySpan<Value> outerRow, EvaluationContext context) => Run(query, outerRow, context).Count > 0;

    /// <inheritdoc/>
    public IReadOnlyList<Value> Column(SelectStatement query, ReadOnlySpan<Value> outerRow, EvaluationContext context)
    {
        if (_columns.TryGetValue(query, out var cached))
        {
            return cached;
        }

        var rows = Run(query, outerRow, context);
        if (rows.Count > 0 && rows[0].Length != 1)
        {
            throw SqlError.Type("subquery has too many columns");
        }

        var column = new SubqueryColumn([.. rows.Select(r => r[0])]);
        if (!subqueries[query].Correlated)
        {
            // Computed once for the whole statement, like its rows; the lookup inside is built on first use.
            _columns[query] = column;
        }

        return column;
    }

    private List<Value[]> Run(SelectStatement query, ReadOnlySpan<Value> outerRow, EvaluationContext context)
    {
        var plan = subqueries.TryGetValue(query, out var p) ? p : throw new InvalidOperationException("a subquery was not planned");
        if (!plan.Correlated && _results.TryGetValue(query, out var cached))
        {
            return cached;
        }

        // The subquery sees the current row, then the rows enclosing it (its outer schema is planned the same way).
        var outer = new Value[outerRow.Length + context.OuterRow.Length];
        outerRow.CopyTo(outer);
        context.OuterRow.Span.CopyTo(outer.AsSpan(outerRow.Length));
        var rows = plan.Plan.Execute(this, context.ForSubquery(outer)).ToList();
        if (!plan.Correlated)
        {
            _results[query] = rows;
        }

        return rows;
    }
}
