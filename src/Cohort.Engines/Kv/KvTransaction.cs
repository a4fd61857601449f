using System.Buffers;
using Cohort.Core;
using Cohort.Storage.Encoding;

namespace Cohort.Engines.Kv;

/// <summary>A KV transaction's buffered writes: key → new value, or null for a delete.</summary>
public sealed class KvTransaction(TxId id, DateTimeOffset deadline) : EngineTransaction(id, deadline)
{
    internal Dictionary<string, Value?> Writes { get; } = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public override bool HasWrites => Writes.Count > 0;

    /// <inheritdoc/>
    public override IEnumerable<string> ExclusiveLockKeys => Writes.Keys;

    /// <inheritdoc/>
    public override void WriteIntents(IBufferWriter<byte> writer)
    {
        writer.WriteVarUInt((ulong)Writes.Count);
        foreach (var (key, value) in Writes)
        {
            writer.WriteString(key);
            writer.WriteByte(value is null ? (byte)0 : (byte)1);
            if (value is { } v)
            {
                writer.WriteValue(v);
            }
        }
    }

    internal static KvTransaction ReadIntents(TxId id, ref SpanReader reader)
    {
        var tx = new KvTransaction(id, DateTimeOffset.MaxValue);
        var count = reader.ReadVarUInt();
        for (ulong i = 0; i < count; i++)
        {
            var key = reader.ReadString();
            tx.Writes[key] = reader.ReadByte() == 0 ? (Value?)null : reader.ReadValue();
        }

        return tx;
    }
}
