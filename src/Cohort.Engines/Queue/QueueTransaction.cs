using System.Buffers;
using Cohort.Core;
using Cohort.Storage.Encoding;

namespace Cohort.Engines.Queue;

/// <summary>A queue transaction's buffered work: items to enqueue (placed at commit) and committed items it has taken.</summary>
public sealed class QueueTransaction(TxId id, DateTimeOffset deadline) : EngineTransaction(id, deadline)
{
    internal List<(string Queue, Value Value)> Enqueued { get; } = [];

    internal Dictionary<string, List<QueueItemKey>> Dequeued { get; } = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public override bool HasWrites => Enqueued.Count > 0 || Dequeued.Count > 0;

    /// <inheritdoc/>
    public override IEnumerable<string> ExclusiveLockKeys => Dequeued.Keys.Select(QueueEngine.HeadLock);

    internal IEnumerable<string> TouchedQueues => Enqueued.Select(e => e.Queue).Concat(Dequeued.Keys).Distinct(StringComparer.Ordinal);

    internal int OwnEnqueued(string queue) => Enqueued.Count(e => e.Queue == queue);

    internal HashSet<QueueItemKey> OwnDequeued(string queue) =>
        Dequeued.TryGetValue(queue, out var keys) ? [.. keys] : [];

    internal void AddDequeued(QueueItemKey key)
    {
        if (!Dequeued.TryGetValue(key.Queue, out var keys))
        {
            keys = [];
            Dequeued[key.Queue] = keys;
        }

        keys.Add(key);
    }

    /// <inheritdoc/>
    public override void WriteIntents(IBufferWriter<byte> writer)
    {
        writer.WriteVarUInt((ulong)Enqueued.Count);
        foreach (var (queue, value) in Enqueued)
        {
            writer.WriteString(queue);
            writer.WriteValue(value);
        }

        writer.WriteVarUInt((ulong)Dequeued.Count);
        foreach (var (queue, keys) in Dequeued)
        {
            writer.WriteString(queue);
            writer.WriteVarUInt((ulong)keys.Count);
            foreach (var key in keys)
            {
                writer.WriteInt64(key.Timestamp);
                writer.WriteTxId(key.Tx);
                writer.WriteVarInt(key.Index);
            }
        }
    }

    internal static QueueTransaction ReadIntents(TxId id, ref SpanReader reader)
    {
        var tx = new QueueTransaction(id, DateTimeOffset.MaxValue);
        var enqueued = reader.ReadVarUInt();
        for (ulong i = 0; i < enqueued; i++)
        {
            var queue = reader.ReadString();
            tx.Enqueued.Add((queue, reader.ReadValue()));
        }

        var queues = reader.ReadVarUInt();
        for (ulong i = 0; i < queues; i++)
        {
            var queue = reader.ReadString();
            var count = reader.ReadVarUInt();
            for (ulong j = 0; j < count; j++)
            {
                tx.AddDequeued(new QueueItemKey(queue, reader.ReadInt64(), reader.ReadTxId(), (int)reader.ReadVarInt()));
            }
        }

        return tx;
    }
}
