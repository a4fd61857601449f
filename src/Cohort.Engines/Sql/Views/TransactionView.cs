using Cohort.Core;
using Cohort.Sql.Execution;
using Cohort.Sql.Storage;
using Cohort.Storage.Mvcc;

namespace Cohort.Engines.Sql.Views;

/// <summary>
/// The newest committed state of a SQL resource with a transaction's own writes laid over it. Correct only for
/// ranges the transaction has locked: under its locks nobody else can change them until it ends. A scan is read whole
/// before its first row is used, so a statement that writes the table it reads (INSERT … SELECT from itself) never
/// meets its own new rows.
/// </summary>
internal sealed class TransactionView(MvccStore<SqlKey> store, SqlTransaction tx) : ISqlView
{
    /// <inheritdoc/>
    public HlcTimestamp? Snapshot => null;

    /// <inheritdoc/>
    public TableSchema? FindTable(string table) =>
        TryGet(SqlKey.Catalog(table), out var value) ? SchemaCache.Decode(value) : null;

    /// <inheritdoc/>
    public IReadOnlyList<TableSchema> Tables()
    {
        var range = SqlLocks.CatalogRange;
        return [.. Merge(range, range.IsBeforeHigh).Select(kv => SchemaCache.Decode(kv.Value))];
    }

    /// <inheritdoc/>
    IEnumerable<KeyValuePair<SqlKey, Value>> ISqlView.Scan(SqlKeyRange range) => Scan(range);

    /// <summary>The live entries of <paramref name="range"/> in key order, read whole (DDL writes while it walks them).</summary>
    public List<KeyValuePair<SqlKey, Value>> Scan(SqlKeyRange range) =>
        SqlKeyComparer.Instance.Compare(range.Low, range.High) >= 0 ? [] : Merge(range, range.IsBeforeHigh);

    /// <inheritdoc/>
    public bool TryGet(SqlKey key, out Value value)
    {
        if (tx.Writes.TryGetValue(key, out var own))
        {
            value = own ?? Value.Null;
            return own is not null;
        }

        return store.TryGetAt(key, null, out value);
    }

    private List<KeyValuePair<SqlKey, Value>> Merge(SqlKeyRange range, Func<SqlKey, bool> inRange)
    {
        var committed = store.ScanAt(range.Low, inRange, int.MaxValue, null);
        if (tx.WrittenKeys.Count == 0)
        {
            return committed;
        }

        var own = tx.WrittenKeys.GetViewBetween(range.Low, range.High);
        if (own.Count == 0)
        {
            return committed;
        }

        // Both lists are in key order: merge them, the transaction's writes replacing what they overwrite.
        var merged = new List<KeyValuePair<SqlKey, Value>>(committed.Count + own.Count);
        var i = 0;
        foreach (var key in own)
        {
            if (!inRange(key))
            {
                continue;
            }

            while (i < committed.Count && SqlKeyComparer.Instance.Compare(committed[i].Key, key) < 0)
            {
                merged.Add(committed[i++]);
            }

            if (i < committed.Count && SqlKeyComparer.Instance.Compare(committed[i].Key, key) == 0)
            {
                i++;
            }

            if (tx.Writes[key] is { } value)
            {
                merged.Add(new(key, value));
            }
        }

        while (i < committed.Count)
        {
            merged.Add(committed[i++]);
        }

        return merged;
    }
}
