using System.Collections.Immutable;
using Cohort.Core;

namespace Cohort.Sql.Storage;

/// <summary>
/// A key in the one <c>MvccStore&lt;SqlKey&gt;</c> of a SQL resource: the catalog entry of a table, a row,
/// or an index entry. Ordered by <see cref="SqlKeyComparer"/>: space, table, index, then the values column
/// by column with SQL sort order (NULLs last, 1 = 1.0), a prefix before its extensions.
/// </summary>
/// <remarks>
/// Keys with a non-zero <see cref="Bound"/> are range bounds, never stored: <see cref="LowerBound"/> sorts
/// before and <see cref="UpperBound"/> after every key extending its values, and each sorts exactly like a
/// stored key against keys without that prefix. So <c>[LowerBound(p), UpperBound(p))</c> is exactly the keys
/// with prefix <c>p</c>, and other ranges follow: <c>a &gt; 5</c> on an index (a, …) is
/// <c>[UpperBound([5]), LowerBound([NULL]))</c>, <c>a &lt; 5</c> is <c>[LowerBound([]), LowerBound([5]))</c>.
/// Bounds need no sentinel value, so they are exact for every type, NULLs and mixed numbers included.
/// </remarks>
internal sealed class SqlKey : IEquatable<SqlKey>
{
    private SqlKey(SqlKeySpace space, string table, string index, ImmutableArray<Value> values, sbyte bound)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(index);
        Space = space;
        Table = table;
        Index = index;
        Values = values.IsDefault ? [] : values;
        Bound = bound;
    }

    /// <summary>Which part of the key space the key is in.</summary>
    public SqlKeySpace Space { get; }

    /// <summary>The table name.</summary>
    public string Table { get; }

    /// <summary>The index name for <see cref="SqlKeySpace.Index"/> keys; empty otherwise.</summary>
    public string Index { get; }

    /// <summary>The key values: primary key (or row id) for rows, index layout for index entries, empty for the catalog.</summary>
    public ImmutableArray<Value> Values { get; }

    /// <summary>0 for a real key; -1 (before) or +1 (after) every key extending <see cref="Values"/> for a range bound.</summary>
    public sbyte Bound { get; }

    /// <summary>Whether this is a range bound rather than a storable key.</summary>
    public bool IsBound => Bound != 0;

    /// <summary>The catalog key of <paramref name="table"/> (its value is the <see cref="TableSchema.ToValue"/> form).</summary>
    public static SqlKey Catalog(string table) => new(SqlKeySpace.Catalog, table, string.Empty, [], 0);

    /// <summary>The key of a row of <paramref name="table"/> with primary key (or row id) <paramref name="key"/>.</summary>
    public static SqlKey Row(string table, ImmutableArray<Value> key) => new(SqlKeySpace.Rows, table, string.Empty, key, 0);

    /// <summary>The key of an entry of index <paramref name="index"/> of <paramref name="table"/>.</summary>
    public static SqlKey IndexEntry(string table, string index, ImmutableArray<Value> key) => new(SqlKeySpace.Index, table, index, key, 0);

    /// <summary>A key of any space (used by the snapshot codec).</summary>
    public static SqlKey Create(SqlKeySpace space, string table, string index, ImmutableArray<Value> values) => new(space, table, index, values, 0);

    /// <summary>The bound sorting just before every key of the space, table and index whose values start with <paramref name="prefix"/>.</summary>
    public static SqlKey LowerBound(SqlKeySpace space, string table, string index, ImmutableArray<Value> prefix) => new(space, table, index, prefix, -1);

    /// <summary>The bound sorting just after every key of the space, table and index whose values start with <paramref name="prefix"/>.</summary>
    public static SqlKey UpperBound(SqlKeySpace space, string table, string index, ImmutableArray<Value> prefix) => new(space, table, index, prefix, 1);

    /// <summary>The range of keys with values starting with <paramref name="prefix"/> (all rows of a table for an empty prefix).</summary>
    public static SqlKeyRange PrefixRange(SqlKeySpace space, string table, string index, ImmutableArray<Value> prefix) =>
        new(LowerBound(space, table, index, prefix), UpperBound(space, table, index, prefix));

    /// <inheritdoc/>
    public bool Equals(SqlKey? other) => other is not null && SqlKeyComparer.Instance.Equals(this, other);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as SqlKey);

    /// <inheritdoc/>
    public override int GetHashCode() => SqlKeyComparer.Instance.GetHashCode(this);

    /// <inheritdoc/>
    public override string ToString()
    {
        var bound = Bound switch { < 0 => "<", > 0 => ">", _ => string.Empty };
        var index = Index.Length > 0 ? "/" + Index : string.Empty;
        return $"{Space}:{Table}{index}[{string.Join(", ", Values)}]{bound}";
    }
}
