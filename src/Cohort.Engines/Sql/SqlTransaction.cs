using System.Buffers;
using Cohort.Core;
using Cohort.Engines.Sql.Storage;
using Cohort.Storage.Encoding;

namespace Cohort.Engines.Sql;

/// <summary>
/// A SQL transaction's buffered writes: rows, index entries and catalog entries (DDL), each key mapped to its
/// new value or null for a delete. Nothing reaches the shared store before commit, so an abort — DDL included —
/// leaves no trace.
/// </summary>
public sealed class SqlTransaction(TxId id, DateTimeOffset deadline) : EngineTransaction(id, deadline)
{
    internal Dictionary<SqlKey, Value?> Writes { get; } = new(SqlKeyComparer.Instance);

    // The written keys in key order, for merging the transaction's own writes into range scans.
    internal SortedSet<SqlKey> WrittenKeys { get; } = new(SqlKeyComparer.Instance);

    /// <inheritdoc/>
    public override bool HasWrites => Writes.Count > 0;

    /// <inheritdoc/>
    public override IEnumerable<string> ExclusiveLockKeys =>
        Writes.Keys.Where(k => k.Space == SqlKeySpace.Catalog).Select(k => SqlLocks.CatalogLock(k.Table));

    internal void Write(SqlKey key, Value? value)
    {
        Writes[key] = value;
        WrittenKeys.Add(key);
    }

    /// <inheritdoc/>
    public override void WriteIntents(IBufferWriter<byte> writer)
    {
        writer.WriteVarUInt((ulong)Writes.Count);
        foreach (var (key, value) in Writes)
        {
            SqlKeyCodec.Write(writer, key);
            writer.WriteByte(value is null ? (byte)0 : (byte)1);
            if (value is { } v)
            {
                writer.WriteValue(v);
            }
        }
    }

    internal static SqlTransaction ReadIntents(TxId id, ref SpanReader reader)
    {
        var tx = new SqlTransaction(id, DateTimeOffset.MaxValue);
        var count = reader.ReadVarUInt();
        for (ulong i = 0; i < count; i++)
        {
            var key = SqlKeyCodec.Read(ref reader);
            tx.Write(key, reader.ReadByte() == 0 ? (Value?)null : reader.ReadValue());
        }

        return tx;
    }
}
