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

    /// <summary>The rows mapped to <typeparamref name="T"/> by column name (<see cref="ValueMapper"/>).</summary>
    /// <typeparam name="T">A class or record whose constructor parameters or properties name columns, or a scalar for one column.</typeparam>
    /// <returns>One object per row, in order.</returns>
    /// <exception cref="FormatException">A value does not fit its member, or a constructor parameter names no column.</exception>
    public IReadOnlyList<T> As<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(ValueMapper.Members)] T>() => [.. Rows.Select(row => row.As<T>())];

    /// <summary>Reads the wire form <c>{"columns":[…],"rows":[[…]],"affected":n}</c>.</summary>
    /// <param name="value">The answer.</param>
    /// <returns>The result.</returns>
    public static SqlResult FromValue(Value value)
    {
        var columns = value.TryGetField("columns", out var c) && c.Kind == ValueKind.List
            ? c.AsList().Select(x => x.Kind == ValueKind.String ? x.AsString() : x.ToString()).ToImmutableArray()
            : [];
        var shape = new SqlRow.Shape(columns);
        var rows = value.TryGetField("rows", out var r) && r.Kind == ValueKind.List
            ? r.AsList().Select(row => new SqlRow(row.Kind == ValueKind.List ? row.AsList() : [row], shape)).ToList()
            : [];
        var affected = value.TryGetField("affected", out var a) && a.TryGetInt64(out var n) ? n : rows.Count;
        return new SqlResult(columns, rows, affected);
    }
}
