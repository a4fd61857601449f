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
internal sealed class ExecutionState(ISqlView view, IReadOnlyDictionary<QueryExpression, SubqueryPlan> subqueries) : ISubqueryRunner
{
    private readonly Dictionary<ScanNode, SqlKeyRange> _ranges = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<QueryExpression, List<Value[]>> _results = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<QueryExpression, SubqueryColumn> _columns = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<WorkTable, IReadOnlyList<Value[]>> _workTables = new(ReferenceEqualityComparer.Instance);

    /// <summary>Default of <see cref="MaxHeldRows"/>.</summary>
    public const long DefaultMaxHeldRows = 2_000_000;

    // Rows visited since the last look at the cancellation token; rows held in memory by the running operators.
    private int _ticks;
    private long _held;

    /// <summary>What the statement reads.</summary>
    public ISqlView View { get; } = view;

    /// <summary>
    /// Stops the statement: its transaction's deadline, or its request abandoned. Operators look at it every
    /// 1,024 rows they visit (<see cref="Tick"/>), so a statement stops within a moment of it however long it would run.
    /// </summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>
    /// The most rows the statement's operators may hold in memory at once (a join's build side, a sort, the groups
    /// of an aggregate, the distinct rows, the result): beyond it the statement fails with a clear error rather than
    /// exhausting the node's memory.
    /// </summary>
    public long MaxHeldRows { get; init; } = DefaultMaxHeldRows;

    /// <summary>Counts one row visited, and stops the statement when it is cancelled.</summary>
    /// <exception cref="OperationCanceledException">The statement was cancelled.</exception>
    public void Tick()
    {
        if ((++_ticks & 1023) == 0)
        {
            Cancellation.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Counts one more row held in memory (and visited); fails the statement beyond <see cref="MaxHeldRows"/>.</summary>
    public void Hold()
    {
        if (++_held > MaxHeldRows)
        {
            throw new CohortException(
                ErrorCodes.BadOperation,
                $"the statement would hold more than {MaxHeldRows:N0} rows in memory at once (a join without a usable condition, or a sort, grouping or result that large); narrow it with conditions or LIMIT",
                isTransient: false);
        }

        Tick();
    }

    /// <summary>The rows of the current step of a recursive query (empty outside it).</summary>
    public IReadOnlyList<Value[]> WorkTableRows(WorkTable table) => _workTables.TryGetValue(table, out var rows) ? rows : [];

    /// <summary>Sets the rows of a recursive query's current step; returns the rows it replaces.</summary>
    public IReadOnlyList<Value[]> SetWorkTableRows(WorkTable table, IReadOnlyList<Value[]> rows)
    {
        var previous = WorkTableRows(table);
        _workTables[table] = rows;
        return previous;
    }

    /// <summary>Gives back <paramref name="rows"/> rows an operator no longer holds.</summary>
    public void Release(long rows) => _held -= rows;

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
    public Value Scalar(QueryExpression query, ReadOnlySpan<Value> outerRow, EvaluationContext context)
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
    public bool Exists(QueryExpression query, ReadOnlySpan<Value> outerRow, EvaluationContext context) => Run(query, outerRow, context).Count > 0;

    /// <inheritdoc/>
    public IReadOnlyList<Value> Column(QueryExpression query, ReadOnlySpan<Value> outerRow, EvaluationContext context)
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

    private List<Value[]> Run(QueryExpression query, ReadOnlySpan<Value> outerRow, EvaluationContext context)
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
        var rows = new List<Value[]>();
        foreach (var row in plan.Plan.Execute(this, context.ForSubquery(outer)))
        {
            Tick();
            rows.Add(row);
        }

        if (!plan.Correlated)
        {
            _results[query] = rows;
        }

        return rows;
    }
}
