using Cohort.Sql.Storage;
using Cohort.Storage.Locking;

namespace Cohort.Engines.Sql;

/// <summary>
/// How SQL statements map onto the lock manager. Each table has a string lock on its catalog entry (shared for
/// statements that use the table, exclusive for DDL on it) and one range-lock space holding its primary-key and
/// index keys: readers lock the key ranges they scan (a point, an index range or the whole table), writers lock
/// exclusively every key they write — the row's primary key and, for each index, its old and new entries — so a
/// write conflicts with every read that could have seen the row or the gap it fills.
/// </summary>
internal static class SqlLocks
{
    /// <summary>Orders range-lock keys (<see cref="SqlKey"/>s) for the lock manager.</summary>
    public static IComparer<object> Comparer { get; } = new KeyComparer();

    /// <summary>The string lock on a table's catalog entry.</summary>
    public static string CatalogLock(string table) => "catalog:" + table;

    /// <summary>The string lock on an index name (index names are unique across tables), taken by DDL creating it.</summary>
    public static string NameLock(string index) => "index:" + index;

    /// <summary>The range-lock space of a table's rows and index entries.</summary>
    public static string Space(string table) => "rows:" + table;

    /// <summary>The lock range of a scanned key range.</summary>
    public static LockRange Range(SqlKeyRange range) => new(range.Low, range.High);

    /// <summary>The lock range covering exactly the stored key <paramref name="key"/> (and keys extending it, which a row or unique index key never has).</summary>
    public static LockRange Point(SqlKey key) => new(key, SqlKey.UpperBound(key.Space, key.Table, key.Index, key.Values));

    /// <summary>Every row of a table (a whole-table predicate lock: all index entries point to these rows).</summary>
    public static SqlKeyRange WholeTable(string table) => SqlKey.PrefixRange(SqlKeySpace.Rows, table, string.Empty, []);

    /// <summary>Every catalog entry (all tables' schemas).</summary>
    public static SqlKeyRange CatalogRange { get; } = new(
        SqlKey.LowerBound(SqlKeySpace.Catalog, string.Empty, string.Empty, []),
        SqlKey.LowerBound(SqlKeySpace.Rows, string.Empty, string.Empty, []));

    private sealed class KeyComparer : IComparer<object>
    {
        public int Compare(object? x, object? y) => SqlKeyComparer.Instance.Compare((SqlKey?)x, (SqlKey?)y);
    }
}
