using System.Collections.Immutable;
using Cohort.Core;

namespace Cohort.Client;

/// <summary>One row of a <see cref="SqlResult"/>: values by position or by column name (case-insensitive).</summary>
public sealed class SqlRow
{
    private readonly Shape _shape;

    internal SqlRow(ImmutableArray<Value> values, Shape shape)
    {
        Values = values;
        _shape = shape;
    }

    /// <summary>The column names, in order.</summary>
    public ImmutableArray<string> Columns => _shape.Names;

    /// <summary>The values, in column order.</summary>
    public ImmutableArray<Value> Values { get; }

    /// <summary>The value at <paramref name="ordinal"/>.</summary>
    /// <param name="ordinal">The column position.</param>
    public Value this[int ordinal] => Values[ordinal];

    /// <summary>The value of column <paramref name="column"/>.</summary>
    /// <param name="column">The column name.</param>
    /// <exception cref="KeyNotFoundException">No such column.</exception>
    public Value this[string column] => _shape.ByName.TryGetValue(column, out var i) && i < Values.Length ? Values[i] : throw new KeyNotFoundException($"The result has no column '{column}'.");

    /// <summary>This row mapped to <typeparamref name="T"/> by column name (<see cref="ValueMapper"/>).</summary>
    /// <typeparam name="T">A class or record whose constructor parameters or properties name columns, or a scalar for one column.</typeparam>
    /// <returns>The mapped object.</returns>
    /// <exception cref="FormatException">A value does not fit its member, or a constructor parameter names no column.</exception>
    public T As<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(ValueMapper.Members)] T>() => ValueMapper.Map<T>(this);

    // The value of the column whose normalized name (ValueMapper.Normalize) is normalized.
    internal bool TryGet(string normalized, out Value value)
    {
        if (_shape.ByNormalized.TryGetValue(normalized, out var i) && i < Values.Length)
        {
            value = Values[i];
            return true;
        }

        value = default;
        return false;
    }

    // The columns of a result, shared by its rows: names in order, and their positions by name (case-insensitive) and
    // by normalized name (the first column of each name wins).
    internal sealed class Shape
    {
        public Shape(ImmutableArray<string> names)
        {
            Names = names;
            for (var i = 0; i < names.Length; i++)
            {
                ByName.TryAdd(names[i], i);
                ByNormalized.TryAdd(ValueMapper.Normalize(names[i]), i);
            }
        }

        public ImmutableArray<string> Names { get; }

        public Dictionary<string, int> ByName { get; } = new(StringComparer.OrdinalIgnoreCase);

        public Dictionary<string, int> ByNormalized { get; } = new(StringComparer.Ordinal);
    }

    /// <inheritdoc/>
    public override string ToString() => "(" + string.Join(", ", Values) + ")";
}
