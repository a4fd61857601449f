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
        var result = new List<KeyValuePair<TKey, Value>>();
        ScanInto(result, from, fromExclusive: false, inRange, limit, snapshot);
        return result;
    }

    /// <summary>
    /// The live entries of the range as <see cref="ScanAt"/> gives them, read <paramref name="chunk"/> entries (at most)
    /// at a time under the store's lock and yielded one by one: a long scan neither builds a list of the whole range nor
    /// holds the lock while its caller works, and a caller that stops early (a LIMIT) reads little more than it used.
    /// Each chunk checks the retention horizon. For ranges made stable first (see the type's summary): the chunks then
    /// read one consistent state.
    /// </summary>
    public IEnumerable<KeyValuePair<TKey, Value>> EnumerateAt(TKey? from, Func<TKey, bool> inRange, HlcTimestamp? snapshot, int chunk = 1024)
    {
        ArgumentNullException.ThrowIfNull(inRange);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunk, 1);
        return Chunks(from, inRange, snapshot, chunk);
    }

    private IEnumerable<KeyValuePair<TKey, Value>> Chunks(TKey? from, Func<TKey, bool> inRange, HlcTimestamp? snapshot, int chunk)
    {
        // Small first, for callers that stop after a few rows; then up to chunk (a list small enough to stay off the
        // large object heap).
        var size = Math.Min(chunk, 32);
        var buffer = new List<KeyValuePair<TKey, Value>>(size);
        var next = from;
        var exclusive = false;
        while (true)
        {
            var more = ScanInto(buffer, next, exclusive, inRange, size, snapshot);
            foreach (var entry in buffer)
            {
                yield return entry;
            }

            if (!more || buffer.Count == 0)
            {
                yield break;
            }

            next = buffer[^1].Key;
            exclusive = true;
            size = Math.Min(chunk, size * 4);
        }
    }

    // Replaces into's content with up to limit live entries; true when it stopped at the limit (the range may go on).
    private bool ScanInto(List<KeyValuePair<TKey, Value>> into, TKey? from, bool fromExclusive, Func<TKey, bool> inRange, int limit, HlcTimestamp? snapshot)
    {
        ArgumentNullException.ThrowIfNull(inRange);
        into.Clear();
        _lock.EnterReadLock();
        try
        {
            if (snapshot is { } s)
            {
                CheckHorizon(s);
            }

            if (_entries.Count == 0)
            {
                return false;
            }

            var low = from is null ? Entry.MinBound : new Entry(from);
            foreach (var entry in _entries.GetViewBetween(low, Entry.MaxBound))
            {
                if (fromExclusive)
                {
                    // The first entry at or after the resume key is the key itself unless it was collected meanwhile.
                    fromExclusive = false;
                    if (_comparer.Compare(entry.Key, from!) == 0)
                    {
                        continue;
                    }
                }

                if (!inRange(entry.Key))
                {
                    return false;
                }

                if (into.Count >= limit)
                {
                    return true;
                }

                var version = snapshot is { } at ? VisibleAt(entry.Head, at) : entry.Head;
                if (version is { IsTombstone: false })
                {
                    into.Add(new(entry.Key, version.Value));
                }
            }

            return false;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }
}
