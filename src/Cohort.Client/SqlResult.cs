using System.Collections.Immutable;
using Cohort.Core;

namespace Cohort.Client;

/// <summary>What a SQL statement answered: column names, rows, and the number of rows affected (or returned).</summary>
public sealed class SqlResult
{
    private SqlResult(ImmutableArray<string> columns, IReadOnlyList<SqlRow> rows, long affected)
    {
        Columns = columns;
        Rows = rows;
        Affected = affected;
    }

    /// <summary>The column names, in order.</summary>
    public ImmutableArray<string> Columns { get; }

    /// <summary>The rows.</summary>
    public IReadOnlyList<SqlRow> Rows { get; }

    /// <summary>Rows inserted, updated or deleted (for a query: rows returned).</summary>
    public long Affected { get; }

    /// <summary>Reads the wire form <c>{"columns":[…],"rows":[[…]],"affected":n}</c>.</summary>
    /// <param name="value">The answer.</param>
    /// <returns>The result.</returns>
    public static SqlResult FromValue(Value value)
    {
        var columns = value.TryGetField("columns", out var c) && c.Kind == ValueKind.List
            ? c.AsList().Select(x => x.Kind == ValueKind.String ? x.AsString() : x.ToString()).ToImmutableArray()
            : [];
        var index = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < columns.Length; i++)
        {
            index.TryAdd(columns[i], i);
        }

        var rows = value.TryGetField("rows", out var r) && r.Kind == ValueKind.List
            ? r.AsList().Select(row => new SqlRow(row.Kind == ValueKind.List ? row.AsList() : [row], index)).ToList()
            : [];
        var affected = value.TryGetField("affected", out var a) && a.TryGetInt64(out var n) ? n : rows.Count;
        return new SqlResult(columns, rows, affected);
    }
}
