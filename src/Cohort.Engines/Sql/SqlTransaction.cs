using System.Buffers;
using Cohort.Core;
using Cohort.Sql.Storage;
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

    // While a statement runs: what each of its writes replaced, newest last, to undo them if it fails.
    private List<(SqlKey Key, bool Existed, Value? Previous)>? _undo;

    internal void Write(SqlKey key, Value? value)
    {
        if (_undo is not null)
        {
            _undo.Add(Writes.TryGetValue(key, out var previous) ? (key, true, previous) : (key, false, null));
        }

        Writes[key] = value;
        WrittenKeys.Add(key);
    }

    /// <summary>Starts recording the writes of a statement, so that a failure part-way leaves none of them.</summary>
    internal void BeginStatement() => _undo = [];

    /// <summary>The statement succeeded: its writes stay.</summary>
    internal void EndStatement() => _undo = null;

    /// <summary>The statement failed: undoes its writes, newest first (its locks are kept, as 2PL allows).</summary>
    internal void RollBackStatement()
    {
        if (_undo is not { } undo)
        {
            return;
        }

        for (var i = undo.Count - 1; i >= 0; i--)
        {
            var (key, existed, previous) = undo[i];
            if (existed)
            {
                Writes[key] = previous;
            }
            else
            {
                Writes.Remove(key);
                WrittenKeys.Remove(key);
            }
        }

        _undo = null;
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
