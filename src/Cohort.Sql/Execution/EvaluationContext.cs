using System.Globalization;
using Cohort.Core;

namespace Cohort.Sql.Execution;

/// <summary>
/// What a compiled expression reads besides the row: the statement's parameters, the transaction's timestamp,
/// the subquery runner and, inside a correlated subquery, the row of the enclosing query.
/// </summary>
internal sealed class EvaluationContext
{
    private readonly Value _now;

    /// <summary>Creates a context for one statement execution.</summary>
    /// <param name="parameters">The values of <c>$1</c>…<c>$n</c> (index 0 is <c>$1</c>).</param>
    /// <param name="now">The transaction's timestamp (UTC), returned by <c>now()</c>.</param>
    /// <param name="subqueries">Runs subqueries, or null when the statement has none.</param>
    public EvaluationContext(Value[]? parameters = null, DateTime now = default, ISubqueryRunner? subqueries = null)
        : this(parameters ?? [], now, FormatTimestamp(now), subqueries, ReadOnlyMemory<Value>.Empty)
    {
    }

    private EvaluationContext(Value[] parameters, DateTime now, Value nowText, ISubqueryRunner? subqueries, ReadOnlyMemory<Value> outerRow)
    {
        Parameters = parameters;
        Now = now;
        _now = nowText;
        Subqueries = subqueries;
        OuterRow = outerRow;
    }

    /// <summary>The statement parameters; <c>$n</c> is <c>Parameters[n - 1]</c>.</summary>
    public Value[] Parameters { get; }

    /// <summary>The transaction's timestamp (UTC).</summary>
    public DateTime Now { get; }

    /// <summary>The transaction's timestamp as a TIMESTAMP value (microsecond precision, canonical text form).</summary>
    public Value NowValue => _now;

    /// <summary>Runs subqueries, or null.</summary>
    public ISubqueryRunner? Subqueries { get; }

    /// <summary>The row of the enclosing query, read by outer (correlated) column references.</summary>
    public ReadOnlyMemory<Value> OuterRow { get; }

    /// <summary>
    /// The context a subquery evaluates with: the same parameters, timestamp and runner, and
    /// <paramref name="outerRow"/> (the enclosing query's current row) for its correlated references.
    /// </summary>
    public EvaluationContext ForSubquery(ReadOnlyMemory<Value> outerRow) => new(Parameters, Now, _now, Subqueries, outerRow);

    /// <summary>The value of parameter <c>$index</c>.</summary>
    /// <exception cref="CohortException">There is no such parameter.</exception>
    public Value Parameter(int index) =>
        (uint)(index - 1) < (uint)Parameters.Length ? Parameters[index - 1] : throw SqlError.NoParameter(index);

    /// <summary>The canonical TIMESTAMP text of <paramref name="time"/>, truncated to microseconds as PostgreSQL stores it.</summary>
    public static string FormatTimestamp(DateTime time)
    {
        if (time.Kind == DateTimeKind.Local)
        {
            time = time.ToUniversalTime();
        }

        var ticks = time.Ticks - (time.Ticks % 10);
        var truncated = new DateTime(ticks, DateTimeKind.Unspecified);
        return ticks % TimeSpan.TicksPerSecond == 0
            ? truncated.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
            : truncated.ToString("yyyy-MM-dd HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture);
    }
}
