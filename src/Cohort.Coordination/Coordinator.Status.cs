using Cohort.Core;

namespace Cohort.Coordination;

/// <content>Status queries, the overdue sweep and forgetting old finished transactions.</content>
public sealed partial class Coordinator
{
    /// <summary>What this coordinator knows of <paramref name="txId"/>, or null when nothing (never begun here, forgotten, or lost in a restart).</summary>
    public TxStatus? GetStatus(TxId txId) => _transactions.TryGetValue(txId, out var tx) ? tx.ToStatus() : null;

    /// <summary>The transactions in <paramref name="state"/> (all known ones when null), oldest first, at most <paramref name="limit"/>.</summary>
    public IReadOnlyList<TxStatus> List(TransactionState? state = null, int limit = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 0);
        return [.. _transactions.Values
            .Where(t => state is null || t.State == state)
            .OrderBy(t => t.Id)
            .Take(limit)
            .Select(t => t.ToStatus())];
    }

    /// <summary>Aborts every active transaction past its deadline (runs periodically; callable by tests).</summary>
    public int AbortOverdue()
    {
        var now = _time.GetUtcNow();
        var count = 0;
        foreach (var tx in _transactions.Values)
        {
            if (tx.State == TransactionState.Active && now >= tx.Deadline && tx.Gate.Wait(0))
            {
                try
                {
                    Log.Expired(_logger, tx.Id, tx.Deadline);
                    AbortEverywhere(tx, $"deadline {tx.Deadline:O} passed", ErrorCodes.Expired);
                    count++;
                }
                finally
                {
                    tx.Gate.Release();
                }
            }
        }

        return count;
    }

    private void Sweep()
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            AbortOverdue();
        }
    }

    private void RememberFinished(TxId txId)
    {
        _finishedOrder.Enqueue(txId);
        if (Interlocked.Increment(ref _finishedCount) <= _options.FinishedCapacity)
        {
            return;
        }

        if (_finishedOrder.TryDequeue(out var old))
        {
            Interlocked.Decrement(ref _finishedCount);
            if (_transactions.TryGetValue(old, out var tx) && tx.State is TransactionState.Committed or TransactionState.Aborted)
            {
                _transactions.TryRemove(old, out _);
            }
        }
    }
}
