using System.Buffers;
using Cohort.Core;
using Cohort.Storage.Encoding;
using Cohort.Storage.Locking;
using Cohort.Storage.Mvcc;
using Microsoft.Extensions.Logging;

namespace Cohort.Engines.Queue;

/// <summary>
/// The queue engine (<c>queue:*</c>): named FIFO queues in one resource, with operations
/// <c>enqueue</c>, <c>dequeue</c>, <c>peek</c>, <c>size</c>, <c>is_empty</c> and <c>clear</c>.
/// </summary>
/// <remarks>
/// <para>Enqueue takes no lock: items are placed at commit, ordered by commit timestamp, so FIFO order
/// is commit order and enqueuers never wait for each other. Dequeue and clear take the queue's head
/// exclusively; peek, size and is_empty take it shared in read-write transactions (so two
/// transactions that peek and then dequeue conflict, and wound-wait lets only one of them on).
/// A dequeued item is removed only when its transaction commits; on abort it is still at the head.</para>
/// <para>Because an enqueue prepared elsewhere may still commit with a timestamp that puts its item
/// ahead, operations on the head first wait for the queue's prepared transactions to resolve.</para>
/// </remarks>
public sealed class QueueEngine : TransactionalEngine<QueueTransaction>
{
    /// <summary>Longest queue name accepted, in characters.</summary>
    public const int MaxQueueNameLength = 256;

    private readonly MvccStore<QueueItemKey> _items = new(Comparer<QueueItemKey>.Default);
    private readonly MvccStore<string> _counts = new(StringComparer.Ordinal, StringComparer.Ordinal);

    // Per queue, a key at or before the first item that may still be live in the newest state, and a
    // count of installs into the queue. Dequeued items stay as tombstones for the retention window, so
    // without the hint every dequeue would walk past all of them. Lowered when an item installs below
    // it; advanced only by a head scan during which nothing was installed.
    private readonly Dictionary<string, HeadHintState> _headHints = new(StringComparer.Ordinal);
    private readonly Lock _hintGate = new();

    private QueueEngine(string name, EngineOptions options, ILogger? logger)
        : base(name, options, logger)
    {
    }

    /// <summary>Opens (recovering if needed) the queue resource <paramref name="name"/>.</summary>
    public static QueueEngine Open(string name, EngineOptions options, ILogger? logger = null) =>
        Recover(new QueueEngine(name, options, logger));

    internal static string HeadLock(string queue) => "head:" + queue;

    /// <inheritdoc/>
    protected override QueueTransaction CreateTransaction(TxId id, DateTimeOffset deadline) => new(id, deadline);

    /// <inheritdoc/>
    protected override async ValueTask<Value> ExecuteAsync(QueueTransaction tx, Operation operation, CancellationToken cancellationToken)
    {
        CheckKnown(operation);
        var queue = QueueName(operation);
        switch (operation.Name)
        {
            case OperationNames.Enqueue:
            {
                if (!operation.Arguments.TryGetField("value", out var value))
                {
                    throw new CohortException(ErrorCodes.BadOperation, "Operation 'enqueue' needs argument 'value'.", isTransient: false);
                }

                tx.Enqueued.Add((queue, value));
                return Value.Null;
            }

            case OperationNames.Dequeue:
            {
                await LockHeadAsync(tx, queue, LockMode.Exclusive, cancellationToken).ConfigureAwait(false);
                var head = await HeadAsync(tx, queue, cancellationToken).ConfigureAwait(false);
                if (head is { Key: { } key } committed)
                {
                    tx.AddDequeued(key);
                    return committed.Value;
                }

                if (head is { } own)
                {
                    tx.Enqueued.RemoveAt(tx.Enqueued.FindIndex(e => e.Queue == queue));
                    return own.Value;
                }

                return Value.Null;
            }

            case OperationNames.Peek:
            {
                await LockHeadAsync(tx, queue, LockMode.Shared, cancellationToken).ConfigureAwait(false);
                return (await HeadAsync(tx, queue, cancellationToken).ConfigureAwait(false))?.Value ?? Value.Null;
            }

            case OperationNames.Size:
            case OperationNames.IsEmpty:
            {
                await LockHeadAsync(tx, queue, LockMode.Shared, cancellationToken).ConfigureAwait(false);
                var size = CommittedSize(queue) - tx.OwnDequeued(queue).Count + tx.OwnEnqueued(queue);
                return operation.Name == OperationNames.Size ? Value.From(size) : Value.From(size == 0);
            }

            case OperationNames.Clear:
            {
                await LockHeadAsync(tx, queue, LockMode.Exclusive, cancellationToken).ConfigureAwait(false);
                var taken = tx.OwnDequeued(queue);
                var items = await ScanHeadAsync(tx, queue, int.MaxValue, cancellationToken).ConfigureAwait(false);
                var removed = tx.Enqueued.RemoveAll(e => e.Queue == queue);
                foreach (var (key, _) in items)
                {
                    if (!taken.Contains(key))
                    {
                        tx.AddDequeued(key);
                        removed++;
                    }
                }

                return Value.From(removed);
            }

            default:
                throw UnknownOperation(operation);
        }
    }

    /// <inheritdoc/>
    protected override async ValueTask<Value> ExecuteReadAsync(HlcTimestamp snapshot, Operation operation, CancellationToken cancellationToken)
    {
        CheckKnown(operation);
        var queue = QueueName(operation);
        switch (operation.Name)
        {
            case OperationNames.Peek:
            case OperationNames.Size:
            case OperationNames.IsEmpty:
            {
                // The count key carries the markers of every prepared transaction touching the queue,
                // so reading it first makes the read wait for any of them that could land at or before it.
                var (_, count) = await _counts.ReadAsync(queue, snapshot, cancellationToken).ConfigureAwait(false);
                var size = count.IsNull ? 0 : count.AsInt64();
                if (operation.Name == OperationNames.Size)
                {
                    return Value.From(size);
                }

                if (operation.Name == OperationNames.IsEmpty)
                {
                    return Value.From(size == 0);
                }

                var first = await _items.ScanAsync(QueueItemKey.First(queue), k => k.Queue == queue, 1, snapshot, cancellationToken).ConfigureAwait(false);
                return first.Count == 0 ? Value.Null : first[0].Value;
            }

            case OperationNames.Enqueue:
            case OperationNames.Dequeue:
            case OperationNames.Clear:
                throw new CohortException(ErrorCodes.BadOperation, $"Operation '{operation.Name}' writes and cannot run in a read-only snapshot read.", isTransient: false);
            default:
                throw UnknownOperation(operation);
        }
    }

    /// <inheritdoc/>
    protected override QueueTransaction ReadIntents(TxId id, ref SpanReader reader) => QueueTransaction.ReadIntents(id, ref reader);

    /// <inheritdoc/>
    protected override PreparedMarker MarkPrepared(QueueTransaction tx, Func<HlcTimestamp> timestamp)
    {
        var marker = _counts.MarkPrepared(tx.TouchedQueues, tx.Id, timestamp);
        _items.MarkPrepared(tx.Dequeued.Values.SelectMany(k => k), marker);
        return marker;
    }

    /// <inheritdoc/>
    protected override void InstallCommit(QueueTransaction tx, HlcTimestamp commitTimestamp, PreparedMarker? marker)
    {
        var writes = new List<KeyValuePair<QueueItemKey, Value?>>();
        for (var i = 0; i < tx.Enqueued.Count; i++)
        {
            var (queue, value) = tx.Enqueued[i];
            writes.Add(new(new QueueItemKey(queue, commitTimestamp.Value, tx.Id, i), value));
        }

        foreach (var key in tx.Dequeued.Values.SelectMany(k => k))
        {
            writes.Add(new(key, null));
        }

        _items.InstallAll(writes, commitTimestamp, marker);
        for (var i = 0; i < tx.Enqueued.Count; i++)
        {
            NoteInstalled(new QueueItemKey(tx.Enqueued[i].Queue, commitTimestamp.Value, tx.Id, i));
        }

        foreach (var queue in tx.TouchedQueues)
        {
            var delta = tx.OwnEnqueued(queue) - (tx.Dequeued.TryGetValue(queue, out var taken) ? taken.Count : 0);
            _counts.ApplyDelta(queue, commitTimestamp, v => Value.From((v is { } c ? c.AsInt64() : 0) + delta));
        }

        if (marker is not null)
        {
            _counts.ClearPrepared(tx.TouchedQueues, marker);
        }
    }

    /// <inheritdoc/>
    protected override void OnPreparedAborted(QueueTransaction tx, PreparedMarker marker)
    {
        _counts.ClearPrepared(tx.TouchedQueues, marker);
        _items.ClearPrepared(tx.Dequeued.Values.SelectMany(k => k), marker);
    }

    /// <inheritdoc/>
    protected override void WriteState(IBufferWriter<byte> writer)
    {
        _counts.WriteTo(writer, static (w, queue) => w.WriteString(queue));
        _items.WriteTo(writer, static (w, key) =>
        {
            w.WriteString(key.Queue);
            w.WriteInt64(key.Timestamp);
            w.WriteTxId(key.Tx);
            w.WriteVarInt(key.Index);
        });
    }

    /// <inheritdoc/>
    protected override void ReadState(ref SpanReader reader)
    {
        _counts.ReadFrom(ref reader, static (ref r) => r.ReadString());
        _items.ReadFrom(ref reader, static (ref r) => new QueueItemKey(r.ReadString(), r.ReadInt64(), r.ReadTxId(), (int)r.ReadVarInt()));
    }

    /// <inheritdoc/>
    protected override void CollectGarbage(HlcTimestamp horizon)
    {
        _items.CollectGarbage(horizon);
        _counts.CollectGarbage(horizon);
    }

    /// <inheritdoc/>
    protected override void DisposeCore()
    {
        _items.Dispose();
        _counts.Dispose();
    }

    private async ValueTask LockHeadAsync(QueueTransaction tx, string queue, LockMode mode, CancellationToken cancellationToken)
    {
        await Locks.AcquireAsync(tx.Locks, HeadLock(queue), mode, cancellationToken).ConfigureAwait(false);
        await WaitForPreparedAsync(tx, queue, cancellationToken).ConfigureAwait(false);
    }

    // An enqueue prepared elsewhere may commit with a timestamp that places its item ahead of what is
    // committed now; the head is only known once such transactions have resolved.
    private async ValueTask WaitForPreparedAsync(QueueTransaction tx, string queue, CancellationToken cancellationToken)
    {
        while (_counts.PreparedWritesOn(queue) is { } pending)
        {
            var remaining = tx.Deadline - Options.TimeProvider.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                throw new CohortException(ErrorCodes.LockTimeout, $"Transaction {tx.Id} timed out at its deadline waiting for prepared transactions on queue '{queue}'.");
            }

            try
            {
                await pending.WaitAsync(remaining > TimeSpan.FromDays(1) ? TimeSpan.FromDays(1) : remaining, Options.TimeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new CohortException(ErrorCodes.LockTimeout, $"Transaction {tx.Id} timed out at its deadline waiting for prepared transactions on queue '{queue}'.");
            }
        }
    }

    // The head as this transaction sees it: the oldest committed item it has not taken, else its own oldest enqueue.
    private async ValueTask<(QueueItemKey? Key, Value Value)?> HeadAsync(QueueTransaction tx, string queue, CancellationToken cancellationToken)
    {
        var taken = tx.OwnDequeued(queue);
        var items = await ScanHeadAsync(tx, queue, taken.Count + 1, cancellationToken).ConfigureAwait(false);
        foreach (var (key, value) in items)
        {
            if (!taken.Contains(key))
            {
                return (key, value);
            }
        }

        var own = tx.Enqueued.FindIndex(e => e.Queue == queue);
        return own >= 0 ? (null, tx.Enqueued[own].Value) : null;
    }

    // The newest committed items from the head, stable against concurrent installs: an item installed
    // (or a transaction prepared) while the scan ran could sit ahead of what it saw, so the scan is
    // repeated until none was. Only a stable scan may move the head hint.
    private async ValueTask<List<KeyValuePair<QueueItemKey, Value>>> ScanHeadAsync(QueueTransaction tx, string queue, int limit, CancellationToken cancellationToken)
    {
        while (true)
        {
            await WaitForPreparedAsync(tx, queue, cancellationToken).ConfigureAwait(false);
            var (start, installs) = HeadHint(queue);
            var items = await _items.ScanAsync(start, k => k.Queue == queue, limit, null, cancellationToken).ConfigureAwait(false);
            if (_counts.PreparedWritesOn(queue) is null && TryAdvanceHeadHint(queue, installs, items.Count > 0 ? items[0].Key : null))
            {
                return items;
            }
        }
    }

    private (QueueItemKey Hint, long Installs) HeadHint(string queue)
    {
        lock (_hintGate)
        {
            var state = _headHints.GetValueOrDefault(queue);
            return (state.Hint ?? QueueItemKey.First(queue), state.Installs);
        }
    }

    // False when an item was installed into the queue since the scan began (the scan may have missed it).
    private bool TryAdvanceHeadHint(string queue, long installsAtScan, QueueItemKey? firstLive)
    {
        lock (_hintGate)
        {
            var state = _headHints.GetValueOrDefault(queue);
            if (state.Installs != installsAtScan)
            {
                return false;
            }

            if (firstLive is { } live && (state.Hint is null || live.CompareTo(state.Hint.Value) > 0))
            {
                _headHints[queue] = state with { Hint = live };
            }

            return true;
        }
    }

    private void NoteInstalled(QueueItemKey installed)
    {
        lock (_hintGate)
        {
            var state = _headHints.GetValueOrDefault(installed.Queue);
            var hint = state.Hint is { } h && installed.CompareTo(h) < 0 ? installed : state.Hint;
            _headHints[installed.Queue] = new HeadHintState(hint, state.Installs + 1);
        }
    }

    private long CommittedSize(string queue) => _counts.TryGetLatest(queue, out var count) ? count.AsInt64() : 0;

    private static string QueueName(Operation operation)
    {
        var queue = operation.RequiredString("queue");
        if (queue.Length is 0 or > MaxQueueNameLength)
        {
            throw new CohortException(ErrorCodes.BadOperation, $"Argument 'queue' of '{operation.Name}' must be 1 to {MaxQueueNameLength} characters long.", isTransient: false);
        }

        return queue;
    }

    private static void CheckKnown(Operation operation)
    {
        if (operation.Name is not (OperationNames.Enqueue or OperationNames.Dequeue or OperationNames.Peek or OperationNames.Size or OperationNames.IsEmpty or OperationNames.Clear))
        {
            throw UnknownOperation(operation);
        }
    }

    private static CohortException UnknownOperation(Operation operation) =>
        new(ErrorCodes.UnknownOperation, $"Unknown queue operation '{operation.Name}'; expected enqueue, dequeue, peek, size, is_empty or clear.", isTransient: false);

    private readonly record struct HeadHintState(QueueItemKey? Hint, long Installs);
}
