using System.Collections.Immutable;
using Cohort.Core;

namespace Cohort.Client;

/// <summary>One row of a <see cref="SqlResult"/>: values by position or by column name (case-insensitive).</summary>
public sealed class SqlRow
{
    private readonly IReadOnlyDictionary<string, int> _columns;

    internal SqlRow(ImmutableArray<Value> values, IReadOnlyDictionary<string, int> columns)
    {
        Values = values;
        _columns = columns;
    }

    /// <summary>The values, in column order.</summary>
    public ImmutableArray<Value> Values { get; }

    /// <summary>The value at <paramref name="ordinal"/>.</summary>
    /// <param name="ordinal">The column position.</param>
    public Value this[int ordinal] => Values[ordinal];

    /// <summary>The value of column <paramref name="column"/>.</summary>
    /// <param name="column">The column name.</param>
    /// <exception cref="KeyNotFoundException">No such column.</exception>
    public Value this[string column] => _columns.TryGetValue(column, out var i) ? Values[i] : throw new KeyNotFoundException($"The result has no column '{column}'.");

    /// <inheritdoc/>
    public override string ToString() => "(" + string.Join(", ", Values) + ")";
}
