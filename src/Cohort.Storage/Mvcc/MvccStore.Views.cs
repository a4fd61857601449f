using Cohort.Core;

namespace Cohort.Storage.Mvcc;

/// <summary>
/// Synchronous reads for executors that run a whole statement without awaiting: the caller first makes the
/// data it will read stable — under locks for the newest versions, or with <see cref="WaitForPreparedAsync"/>
/// for a snapshot — and then reads it here without waiting.
/// </summary>
public sealed partial class MvccStore<TKey>
{
    /// <summary>
    /// Waits until no prepared write at or before <paramref name="snapshot"/> lies in the range starting at
    /// <paramref name="from"/> (null = first key) and continuing while <paramref name="inRange"/> holds. Any
    /// prepare that comes later gets a timestamp after the snapshot (the engine observes every snapshot read
    /// into its clock first), so afterwards <see cref="ScanAt"/> and <see cref="TryGetAt"/> over that range are stable.
    /// </summary>
    /// <exception cref="CohortException"><c>snapshot_too_old</c> when the snapshot is older than the retention horizon.</exception>
    public async ValueTask WaitForPreparedAsync(TKey? from, Func<TKey, bool> inRange, HlcTimestamp snapshot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inRange);
        while (true)
        {
            Task? wait;
            _lock.EnterReadLock();
            try
            {
                CheckHorizon(snapshot);
                wait = _prepared.Count == 0 ? null : PreparedInsertInRange(from, inRange, snapshot, default, bounded: false);
            }
            finally
            {
                _lock.ExitReadLock();
            }

            if (wait is null)
            {
                return;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The value of <paramref name="key"/> as of <paramref name="snapshot"/> (newest committed when null), without waiting.</summary>
    public bool TryGetAt(TKey key, HlcTimestamp? snapshot, out Value value)
    {
        _lock.EnterReadLock();
        try
        {
            if (snapshot is { } s)
            {
                CheckHorizon(s);
            }

            var entry = Find(key);
            var version = entry is null ? null : snapshot is { } at ? VisibleAt(entry.Head, at) : entry.Head;
            if (version is { IsTombstone: false })
            {
                value = version.Value;
                return true;
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }

        value = Value.Null;
        return false;
    }

    /// <summary>
    /// The live entries from <paramref name="from"/> (inclusive; null = first) while <paramref name="inRange"/> holds,
    /// up to <paramref name="limit"/>, as of <paramref name="snapshot"/> (newest committed when null), without waiting
    /// on prepared writes.
    /// </summary>
    public List<KeyValuePair<TKey, Value>> ScanAt(TKey? from, Func<TKey, bool> inRange, int limit, HlcTimestamp? snapshot)
    {
        ArgumentNullException.ThrowIfNull(inRange);
        var result = new List<KeyValuePair<TKey, Value>>();
        _lock.EnterReadLock();
        try
        {
            if (snapshot is { } s)
            {
                CheckHorizon(s);
            }

            if (_entries.Count == 0)
            {
                return result;
            }

            var low = from is null ? Entry.MinBound : new Entry(from);
            foreach (var entry in _entries.GetViewBetween(low, Entry.MaxBound))
            {
                if (result.Count >= limit || !inRange(entry.Key))
                {
                    break;
                }

                var version = snapshot is { } at ? VisibleAt(entry.Head, at) : entry.Head;
                if (version is { IsTombstone: false })
                {
                    result.Add(new(entry.Key, version.Value));
                }
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }

        return result;
    }
}
