using System.Collections.Immutable;
using Cohort.Core;

namespace Cohort.Sql.Storage;

/// <summary>
/// How rows and index entries are laid out in the store.
/// </summary>
/// <remarks>
/// <para><b>Rows.</b> Key <c>SqlKey.Row(table, primary-key values)</c> — the hidden row id
/// (<see cref="ValueKind.Int64"/>) when the table has no primary key; value <c>Value.List</c> of the column
/// values in schema order. Rows written before an ADD COLUMN are shorter; <see cref="DecodeRow"/> pads them
/// with each missing column's <see cref="ColumnSchema.MissingValue"/>.</para>
/// <para><b>Index entries.</b> Key <c>SqlKey.IndexEntry(table, index, …)</c>; the value is always
/// <c>Value.List</c> of the row's primary-key values (its row key), so a lookup reads the row from it.
/// A non-unique index keys entries by index values + row key values, so equal index values of different
/// rows are distinct keys ordered by row key. A unique index keys entries by the index values only, so two
/// rows with equal values (1 and 1.0 included) want the same key, which is the conflict the engine reports.
/// As in PostgreSQL NULLs never conflict: a unique-index entry with a NULL in its values uses the non-unique
/// layout (the longer key cannot collide, and it still sorts under its index-value prefix).</para>
/// </remarks>
internal static class RowCodec
{
    /// <summary>The stored form of a full row (one value per column, in schema order).</summary>
    public static Value EncodeRow(TableSchema schema, ImmutableArray<Value> row)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (row.Length != schema.Columns.Length)
        {
            throw new ArgumentException($"Table \"{schema.Name}\" has {schema.Columns.Length} columns, the row {row.Length} values.", nameof(row));
        }

        return Value.List(row);
    }

    /// <summary>The row's column values, padded for columns added after it was written.</summary>
    public static ImmutableArray<Value> DecodeRow(TableSchema schema, Value stored)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (stored.Kind != ValueKind.List || stored.AsList().Length > schema.Columns.Length)
        {
            throw new CohortException(ErrorCodes.Corruption, $"Corrupt row in table \"{schema.Name}\": {stored}.", isTransient: false);
        }

        var values = stored.AsList();
        if (values.Length == schema.Columns.Length)
        {
            return values;
        }

        var padded = ImmutableArray.CreateBuilder<Value>(schema.Columns.Length);
        padded.AddRange(values);
        for (var i = values.Length; i < schema.Columns.Length; i++)
        {
            padded.Add(schema.Columns[i].MissingValue);
        }

        return padded.MoveToImmutable();
    }

    /// <summary>The primary-key values of a row of a table with a declared primary key.</summary>
    public static ImmutableArray<Value> PrimaryKeyOf(TableSchema schema, ImmutableArray<Value> row)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (schema.HasRowId)
        {
            throw new InvalidOperationException($"Table \"{schema.Name}\" is keyed by a hidden row id, not by its columns.");
        }

        return [.. schema.PrimaryKey.Select(i => row[i])];
    }

    /// <summary>The row key of a table with a declared primary key.</summary>
    public static SqlKey RowKey(TableSchema schema, ImmutableArray<Value> row) => SqlKey.Row(schema.Name, PrimaryKeyOf(schema, row));

    /// <summary>The row key of a table keyed by hidden row id.</summary>
    public static SqlKey RowKey(string table, long rowId) => SqlKey.Row(table, [Value.From(rowId)]);

    /// <summary>The row id of a row key of a table without a declared primary key.</summary>
    public static long RowId(SqlKey rowKey)
    {
        ArgumentNullException.ThrowIfNull(rowKey);
        return rowKey.Values.Length == 1 && rowKey.Values[0].Kind == ValueKind.Int64
            ? rowKey.Values[0].AsInt64()
            : throw new CohortException(ErrorCodes.Corruption, $"Corrupt row id key {rowKey}.", isTransient: false);
    }

    /// <summary>The index entry (key and value) of the row with key <paramref name="rowKey"/> in <paramref name="index"/>.</summary>
    public static KeyValuePair<SqlKey, Value> IndexEntry(TableSchema schema, IndexSchema index, ImmutableArray<Value> row, SqlKey rowKey)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(rowKey);
        var values = ImmutableArray.CreateBuilder<Value>(index.Columns.Length + rowKey.Values.Length);
        var hasNull = false;
        foreach (var column in index.Columns)
        {
            values.Add(row[column]);
            hasNull |= row[column].IsNull;
        }

        if (!index.Unique || hasNull)
        {
            values.AddRange(rowKey.Values);
        }

        return new(SqlKey.IndexEntry(schema.Name, index.Name, values.ToImmutable()), Value.List(rowKey.Values));
    }

    /// <summary>The row key an index entry's value points to.</summary>
    public static SqlKey RowKeyOfIndexEntry(string table, Value entry)
    {
        return entry.Kind == ValueKind.List
            ? SqlKey.Row(table, entry.AsList())
            : throw new CohortException(ErrorCodes.Corruption, $"Corrupt index entry in table \"{table}\": {entry}.", isTransient: false);
    }
}
