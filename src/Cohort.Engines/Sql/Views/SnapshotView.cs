using Cohort.Core;
using Cohort.Sql.Execution;
using Cohort.Sql.Storage;
using Cohort.Storage.Mvcc;

namespace Cohort.Engines.Sql.Views;

/// <summary>The state of a SQL resource as of a timestamp (read-only queries and <c>AS OF</c>); takes no locks.</summary>
internal sealed class SnapshotView(MvccStore<SqlKey> store, HlcTimestamp snapshot) : ISqlView
{
    /// <inheritdoc/>
    public HlcTimestamp? Snapshot => snapshot;

    /// <inheritdoc/>
    public TableSchema? FindTable(string table) =>
        store.TryGetAt(SqlKey.Catalog(table), snapshot, out var value) ? SchemaCache.Decode(value) : null;

    /// <inheritdoc/>
    public IReadOnlyList<TableSchema> Tables()
    {
        var range = SqlLocks.CatalogRange;
        return [.. store.ScanAt(range.Low, range.IsBeforeHigh, int.MaxValue, snapshot).Select(kv => SchemaCache.Decode(kv.Value))];
    }

    /// <inheritdoc/>
    public IEnumerable<KeyValuePair<SqlKey, Value>> Scan(SqlKeyRange range) =>
        SqlKeyComparer.Instance.Compare(range.Low, range.High) >= 0 ? [] : store.EnumerateAt(range.Low, range.IsBeforeHigh, snapshot);

    /// <inheritdoc/>
    public bool TryGet(SqlKey key, out Value value) => store.TryGetAt(key, snapshot, out value);
}
