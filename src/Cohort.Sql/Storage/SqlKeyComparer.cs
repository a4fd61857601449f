using Cohort.Core;
using Cohort.Sql.Execution;

namespace Cohort.Sql.Storage;

/// <summary>
/// Orders <see cref="SqlKey"/>s by space, table (ordinal), index (ordinal), then values column by column with
/// <see cref="SqlSemantics.SortCompare"/> (NULLs last, numbers compared across Int64, Decimal and Double,
/// so 1 and 1.0 are the same key), a shorter key before the keys it prefixes; range bounds as described on
/// <see cref="SqlKey"/>. Equality and hashing agree with the order (for the store's prepared-key dictionary).
/// </summary>
/// <remarks>
/// Mixed Int64/Double comparison goes through double, so integers beyond 2^53 that differ only past
/// double precision compare equal to the same double; columns have one type, so a key column holds
/// either integers (exact) or doubles, and the mix only arises through numeric literals in bounds.
/// </remarks>
internal sealed class SqlKeyComparer : IComparer<SqlKey>, IEqualityComparer<SqlKey>
{
    private SqlKeyComparer()
    {
    }

    /// <summary>The comparer.</summary>
    public static SqlKeyComparer Instance { get; } = new();

    /// <inheritdoc/>
    public int Compare(SqlKey? x, SqlKey? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null || y is null)
        {
            return x is null ? -1 : 1;
        }

        var c = ((byte)x.Space).CompareTo((byte)y.Space);
        if (c != 0)
        {
            return c;
        }

        c = string.CompareOrdinal(x.Table, y.Table);
        if (c != 0)
        {
            return Math.Sign(c);
        }

        c = string.CompareOrdinal(x.Index, y.Index);
        if (c != 0)
        {
            return Math.Sign(c);
        }

        var a = x.Values;
        var b = y.Values;
        var n = Math.Min(a.Length, b.Length);
        for (var i = 0; i < n; i++)
        {
            c = SqlSemantics.SortCompare(a[i], b[i]);
            if (c != 0)
            {
                return Math.Sign(c);
            }
        }

        if (a.Length == b.Length)
        {
            return x.Bound.CompareTo(y.Bound);
        }

        // One is a proper prefix of the other: a bound on the prefix sorts before (-1) or after (+1) all its
        // extensions; a real key sorts before its extensions.
        return a.Length < b.Length ? (x.Bound > 0 ? 1 : -1) : (y.Bound > 0 ? -1 : 1);
    }

    /// <inheritdoc/>
    public bool Equals(SqlKey? x, SqlKey? y) => Compare(x, y) == 0;

    /// <inheritdoc/>
    public int GetHashCode(SqlKey obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var hash = new HashCode();
        hash.Add(obj.Space);
        hash.Add(obj.Table, StringComparer.Ordinal);
        hash.Add(obj.Index, StringComparer.Ordinal);
        hash.Add(obj.Bound);
        foreach (var value in obj.Values)
        {
            hash.Add(HashValue(value));
        }

        return hash.ToHashCode();
    }

    /// <summary>
    /// Single values compared as one key column is: NULLs equal, 1 = 1.0, intervals by span (hash joins and grouping
    /// on one column, without building a <see cref="SqlKey"/> per row).
    /// </summary>
    public static IEqualityComparer<Value> Values { get; } = new ValueComparer();

    private sealed class ValueComparer : IEqualityComparer<Value>
    {
        public bool Equals(Value x, Value y) => SqlSemantics.SortCompare(x, y) == 0;

        public int GetHashCode(Value obj) => HashValue(obj);
    }

    // Numbers that compare equal must hash equal whatever their kind: hash them as doubles (equal by
    // SortCompare implies equal as doubles), with -0.0 folded into 0.0.
    private static int HashValue(Value value) => value.Kind switch
    {
        ValueKind.Int64 => NumberHash(value.AsInt64()),
        ValueKind.Decimal => NumberHash(SqlSemantics.DecimalToDouble(value.AsDecimal())),
        ValueKind.Double => NumberHash(value.AsDouble()),

        // Intervals equal by span ('1 day' and '24 hours') must hash equal.
        ValueKind.List when SqlInterval.IsInterval(value) => SqlInterval.FromValue(value).Span.GetHashCode(),
        _ => value.GetHashCode(),
    };

    private static int NumberHash(double d) => d == 0 ? 0 : d.GetHashCode();
}
