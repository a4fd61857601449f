using Cohort.Core;

namespace Cohort.Engines.Queue;

/// <summary>
/// Where an item sits in its queue: items order by the commit timestamp of the transaction that
/// enqueued them, then by that transaction and the order of its enqueues, so FIFO order is commit order.
/// </summary>
/// <param name="Queue">The queue name.</param>
/// <param name="Timestamp">The enqueuing transaction's commit timestamp.</param>
/// <param name="Tx">The enqueuing transaction.</param>
/// <param name="Index">The position among that transaction's enqueues to this resource.</param>
public readonly record struct QueueItemKey(string Queue, long Timestamp, TxId Tx, int Index) : IComparable<QueueItemKey>
{
    /// <summary>A key before every item of <paramref name="queue"/>.</summary>
    public static QueueItemKey First(string queue) => new(queue, long.MinValue, TxId.Empty, int.MinValue);

    /// <inheritdoc/>
    public int CompareTo(QueueItemKey other)
    {
        var c = string.CompareOrdinal(Queue, other.Queue);
        if (c == 0)
        {
            c = Timestamp.CompareTo(other.Timestamp);
        }

        if (c == 0)
        {
            c = Tx.CompareTo(other.Tx);
        }

        return c != 0 ? c : Index.CompareTo(other.Index);
    }
}
