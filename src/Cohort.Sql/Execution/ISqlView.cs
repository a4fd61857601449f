using Cohort.Core;
using Cohort.Sql.Storage;

namespace Cohort.Sql.Execution;

/// <summary>
/// What one statement reads: the schemas and the stored keys of a SQL resource, either the newest committed
/// state merged with the transaction's own writes (read-write, under locks) or a snapshot at a timestamp
/// (read-only and AS OF). Reads never wait: the statement makes its ranges stable before executing.
/// </summary>
internal interface ISqlView
{
    /// <summary>The snapshot timestamp, or null for the newest state.</summary>
    HlcTimestamp? Snapshot { get; }

    /// <summary>The schema of <paramref name="table"/>, or null when there is no such table.</summary>
    TableSchema? FindTable(string table);

    /// <summary>Every table's schema.</summary>
    IReadOnlyList<TableSchema> Tables();

    /// <summary>
    /// The live entries of <paramref name="range"/>, in key order. A snapshot view may read them as they are used (its
    /// state cannot change); a transaction's view reads the whole range first (the statement may write it meanwhile).
    /// </summary>
    IEnumerable<KeyValuePair<SqlKey, Value>> Scan(SqlKeyRange range);

    /// <summary>The value stored at <paramref name="key"/>.</summary>
    bool TryGet(SqlKey key, out Value value);
}
