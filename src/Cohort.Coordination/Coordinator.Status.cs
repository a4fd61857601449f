using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Coordination;

/// <content>Status queries, the overdue sweep and forgetting old finished transactions.</content>
public sealed partial class Coordinator
{
    /// <summary>What this coordinator knows of <paramref name="txId"/>, or null when nothing (never begun here, forgotten, or lost in a restart).</summary>
    public TxStatus? GetStatus(TxId txId) =>
        _transactions.TryGetValue(txId, out var tx) ? tx.ToStatus()
        : _finished.TryGetValue(txId, out var finished) ? finished.ToStatus(txId)
        : null;

    /// <summary>
    /// The transactions in <paramref name="state"/> (all known ones when null) begun with label <paramref name="label"/>
    /// (any label when null; compared exactly), oldest first (in <see cref="TxId"/> order), after <paramref name="after"/>
    /// when given, at most <paramref name="limit"/>; the newest first instead when <paramref name="newestFirst"/>.
    /// </summary>
    public IReadOnlyList<TxStatus> List(TransactionState? state = null, int limit = 1000, TxId? after = null, string? label = null, bool newestFirst = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 0);
        // A transaction that finishes meanwhile may be seen in both; the live view wins.
        var live = _transactions.Values.Where(t => (state is null || t.State == state) && (after is null || t.Id > after.Value) && (label is null || t.Label == label))
            .Select(t => (t.Id, Live: (CoordinatorTransaction?)t, Finished: default(FinishedTransaction)));
        var finished = _finished.ToList().Where(f => (state is null || f.Value.State == state) && (after is null || f.Key > after.Value) && (label is null || f.Value.Label == label))
            .Select(f => (Id: f.Key, Live: (CoordinatorTransaction?)null, Finished: f.Value));
        var all = live.Concat(finished).DistinctBy(t => t.Id);
        return [.. (newestFirst ? all.OrderByDescending(t => t.Id) : all.OrderBy(t => t.Id))
            .Take(limit)
            .Select(t => t.Live?.ToStatus() ?? t.Finished.ToStatus(t.Id))];
    }

    /// <summary>
    /// Live transactions now: those in doubt, and the others not finished (active, preparing, committing). Counts only
    /// live records (finished ones are never in doubt), so it is cheap enough to call every few seconds.
    /// </summary>
    public (int InDoubt, int Unfinished) CountLive()
    {
        int inDoubt = 0, unfinished = 0;
        foreach (var tx in _transactions.Values)
        {
            switch (tx.State)
            {
                case TransactionState.InDoubt:
                    inDoubt++;
                    break;
                case TransactionState.Active or TransactionState.Preparing or TransactionState.Committing:
                    unfinished++;
                    break;
            }
        }

        return (inDoubt, unfinished);
    }

    /// <summary>Aborts every active transaction past its deadline (runs periodically; callable by tests).</summary>
    public int AbortOverdue()
    {
        var now = _time.GetUtcNow();
        var count = 0;
        foreach (var tx in _transactions.Values)
        {
            if (tx.State == TransactionState.Active && now >= tx.Deadline && tx.Gate.TryEnter())
            {
                try
                {
                    // Only if still active: commit may have taken it to preparing since the check above (commit holds
                    // the gate only to start), and commit checks the deadline itself.
                    if (AbortIfActive(tx, $"deadline {tx.Deadline:O} passed", ErrorCodes.Expired) is not null)
                    {
                        Log.Expired(_logger, tx.Id, tx.Deadline);
                        count++;
                    }
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
            if (_log is ISharedDecisionLog && Interlocked.Exchange(ref _settling, 1) == 0)
            {
                Track(async () =>
                {
                    try
                    {
                        await SettleInDoubtAsync(_stopping.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        // Stopping.
                    }
                    finally
                    {
                        Interlocked.Exchange(ref _settling, 0);
                    }
                });
            }
        }
    }

    // Final (committed or aborted): the live transaction gives way to what is kept of it (see FinishedTransaction),
    // added before the live one is removed so that a lookup always finds one of them.
    private void RememberFinished(CoordinatorTransaction tx)
    {
        lock (tx.Sync)
        {
            // Under the transaction's lock, so an acknowledgement is either copied here or applied to the copy.
            _finished.TryAdd(tx.Id, FinishedTransaction.Of(tx));
        }

        _transactions.TryRemove(tx.Id, out _);
    }
}
