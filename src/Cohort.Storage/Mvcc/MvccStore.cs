using System.Buffers;
using System.Collections.Concurrent;
using Cohort.Storage.Encoding;
using Cohort.Core;

namespace Cohort.Storage.Mvcc;

/// <summary>
/// An ordered multi-version map: each key has a chain of versions stamped with commit timestamps,
/// newest first. Snapshot reads at T see exactly the versions committed at or before T and wait for
/// prepared writes with prepare timestamp ≤ T on the keys they touch. Versions older than the
/// retention horizon are collected (the newest one at or before the horizon is kept).
/// </summary>
/// <typeparam name="TKey">The key type, ordered by the comparer given at construction.</typeparam>
public sealed partial class MvccStore<TKey> : IDisposable
    where TKey : notnull
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly SortedSet<Entry> _entries;
    // Keys with prepared writes. Several transactions may hold markers on one key when their writes
    // commute (queue enqueues, token credits), so each key has a small list.
    private readonly Dictionary<TKey, List<PreparedMarker>> _prepared;
    private readonly ConcurrentQueue<(TKey Key, HlcTimestamp Timestamp)> _superseded = new();
    private readonly IComparer<TKey> _comparer;
    private long _horizon;

    /// <summary>Creates an empty store ordering keys with <paramref name="comparer"/>.</summary>
    public MvccStore(IComparer<TKey> comparer, IEqualityComparer<TKey>? equality = null)
    {
        ArgumentNullException.ThrowIfNull(comparer);
        _comparer = comparer;
        _entries = new SortedSet<Entry>(new EntryComparer(comparer));
        _prepared = new Dictionary<TKey, List<PreparedMarker>>(equality);
    }

    /// <summary>Keys present (including deleted keys whose tombstones are not yet collected).</summary>
    public int Count
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _entries.Count;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>Reads older than this fail with <c>snapshot_too_old</c>: their versions may be collected.</summary>
    public HlcTimestamp Horizon => new(Interlocked.Read(ref _horizon));

    /// <summary>The newest committed value of <paramref name="key"/> (for transactions that hold its lock).</summary>
    public bool TryGetLatest(TKey key, out Value value)
    {
        _lock.EnterReadLock();
        try
        {
            if (Find(key) is { Head: { IsTombstone: false } head })
            {
                value = head.Value;
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

    /// <summary>Reads <paramref name="key"/> as of <paramref name="snapshot"/>, waiting for prepared writes at or before it.</summary>
    public async ValueTask<(bool Found, Value Value)> ReadAsync(TKey key, HlcTimestamp snapshot, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task? wait = null;
            _lock.EnterReadLock();
            try
            {
                // Checked under the lock on every pass: collection takes the write lock, so it cannot
                // drop the versions this read needs between the check and the read.
                CheckHorizon(snapshot);
                if (BlockingMarker(key, snapshot) is { } marker)
                {
                    wait = marker.Resolved;
                }
                else if (Find(key) is { } entry && VisibleAt(entry.Head, snapshot) is { IsTombstone: false } version)
                {
                    return (true, version.Value);
                }
                else
                {
                    return (false, Value.Null);
                }
            }
            finally
            {
                _lock.ExitReadLock();
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Scans keys in order from <paramref name="from"/> (inclusive; null = first) while
    /// <paramref name="inRange"/> holds, returning up to <paramref name="limit"/> live entries. With a
    /// <paramref name="snapshot"/> it reads as of that time (waiting on prepared writes in range);
    /// without, it returns the newest committed versions.
    /// </summary>
    public async ValueTask<List<KeyValuePair<TKey, Value>>> ScanAsync(
        TKey? from, Func<TKey, bool> inRange, int limit, HlcTimestamp? snapshot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inRange);
        while (true)
        {
            var result = new List<KeyValuePair<TKey, Value>>();
            Task? wait = null;
            _lock.EnterReadLock();
            try
            {
                if (snapshot is { } s)
                {
                    CheckHorizon(s);
                }

                if (_entries.Count > 0)
                {
                    var low = from is null ? Entry.MinBound : new Entry(from);
                    foreach (var entry in _entries.GetViewBetween(low, Entry.MaxBound))
                    {
                        if (!inRange(entry.Key) || result.Count >= limit)
                        {
                            break;
                        }

                        var version = entry.Head;
                        if (snapshot is { } at)
                        {
                            if (BlockingMarker(entry.Key, at) is { } marker)
                            {
                                wait = marker.Resolved;
                                break;
                            }

                            version = VisibleAt(version, at);
                        }

                        if (version is { IsTombstone: false })
                        {
                            result.Add(new(entry.Key, version.Value));
                        }
                    }
                }

                if (wait is null && snapshot is { } at2)
                {
                    wait = PreparedInsertInRange(from, inRange, at2, result.Count >= limit ? result[^1].Key : default, result.Count >= limit);
                }
            }
            finally
            {
                _lock.ExitReadLock();
            }

            if (wait is null)
            {
                return result;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Installs a committed version (a tombstone when <paramref name="value"/> is null) at <paramref name="timestamp"/>.</summary>
    public void Install(TKey key, HlcTimestamp timestamp, Value? value)
    {
        _lock.EnterWriteLock();
        try
        {
            InstallLocked(key, timestamp, value);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Installs several versions and clears a prepared transaction's markers in one step.</summary>
    public void InstallAll(IEnumerable<KeyValuePair<TKey, Value?>> writes, HlcTimestamp timestamp, PreparedMarker? marker)
    {
        ArgumentNullException.ThrowIfNull(writes);
        _lock.EnterWriteLock();
        try
        {
            foreach (var (key, value) in writes)
            {
                InstallLocked(key, timestamp, value);
                if (marker is not null)
                {
                    RemoveMarkerLocked(key, marker);
                }
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Applies a commuting change (a counter or balance delta) committed at <paramref name="timestamp"/>:
    /// the new version is <paramref name="apply"/> of the value visible at that time, and every newer
    /// version (committed earlier in real time but later in timestamp order) gets the change too, so the
    /// result does not depend on the order in which commits are installed. <paramref name="apply"/>
    /// receives null for a missing key and may return null for a deletion.
    /// </summary>
    public void ApplyDelta(TKey key, HlcTimestamp timestamp, Func<Value?, Value?> apply)
    {
        ArgumentNullException.ThrowIfNull(apply);
        _lock.EnterWriteLock();
        try
        {
            var entry = Find(key);
            var visible = entry is null ? null : VisibleAt(entry.Head, timestamp);
            InstallLocked(key, timestamp, apply(visible is null || visible.IsTombstone ? (Value?)null : visible.Value), force: true);
            entry ??= Find(key)!;
            for (var v = entry.Head; v is not null && v.Timestamp > timestamp; v = v.Older)
            {
                var updated = apply(v.IsTombstone ? (Value?)null : v.Value);
                v.Value = updated ?? Value.Null;
                v.IsTombstone = updated is null;
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>A task completing when every prepared write now marked on <paramref name="key"/> is resolved; null when there is none.</summary>
    public Task? PreparedWritesOn(TKey key)
    {
        _lock.EnterReadLock();
        try
        {
            return _prepared.TryGetValue(key, out var markers) ? Task.WhenAll(markers.Select(m => m.Resolved)) : null;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Serializes every key with its versions (oldest first), for a snapshot.</summary>
    public void WriteTo(IBufferWriter<byte> writer, Action<IBufferWriter<byte>, TKey> writeKey)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(writeKey);

        // The count and the entries come from one pass under one read lock: a collection between
        // them would make the count lie and the snapshot unreadable.
        ForEach(count => writer.WriteVarUInt((ulong)count), (key, versions) =>
        {
            writeKey(writer, key);
            writer.WriteVarUInt((ulong)versions.Count);
            for (var i = versions.Count - 1; i >= 0; i--)
            {
                var (timestamp, value) = versions[i];
                writer.WriteInt64(timestamp.Value);
                writer.WriteByte(value is null ? (byte)0 : (byte)1);
                if (value is { } v)
                {
                    writer.WriteValue(v);
                }
            }
        });
    }

    /// <summary>Loads what <see cref="WriteTo"/> wrote.</summary>
    public void ReadFrom(ref SpanReader reader, KeyReader readKey)
    {
        ArgumentNullException.ThrowIfNull(readKey);
        var keys = reader.ReadVarUInt();
        for (ulong i = 0; i < keys; i++)
        {
            var key = readKey(ref reader);
            var versions = reader.ReadVarUInt();
            for (ulong j = 0; j < versions; j++)
            {
                var timestamp = new HlcTimestamp(reader.ReadInt64());
                var value = reader.ReadByte() == 0 ? (Value?)null : reader.ReadValue();
                Install(key, timestamp, value);
            }
        }
    }

    /// <summary>Reads one key during <see cref="ReadFrom"/>.</summary>
    public delegate TKey KeyReader(ref SpanReader reader);

    /// <summary>
    /// Marks <paramref name="keys"/> as about to be written by prepared transaction <paramref name="id"/>.
    /// The prepare timestamp is taken from <paramref name="timestamp"/> while readers are locked out, so
    /// a read either ran entirely before (and its timestamp, observed by the clock, is older) or sees the marker.
    /// </summary>
    public PreparedMarker MarkPrepared(IEnumerable<TKey> keys, TxId id, Func<HlcTimestamp> timestamp)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(timestamp);
        _lock.EnterWriteLock();
        try
        {
            var marker = new PreparedMarker(id, timestamp());
            AddMarkerLocked(keys, marker);
            return marker;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Adds an existing marker to more keys (a transaction writing to several stores shares one marker).</summary>
    public void MarkPrepared(IEnumerable<TKey> keys, PreparedMarker marker)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(marker);
        _lock.EnterWriteLock();
        try
        {
            AddMarkerLocked(keys, marker);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Removes a prepared transaction's markers (after abort).</summary>
    public void ClearPrepared(IEnumerable<TKey> keys, PreparedMarker marker)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _lock.EnterWriteLock();
        try
        {
            foreach (var key in keys)
            {
                RemoveMarkerLocked(key, marker);
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Drops versions no read at or after <paramref name="horizon"/> can see, and deleted keys whose
    /// tombstone is older than it. Returns the number of versions removed.
    /// </summary>
    public int CollectGarbage(HlcTimestamp horizon)
    {
        var removed = 0;
        _lock.EnterWriteLock();
        try
        {
            if (horizon.Value > _horizon)
            {
                Interlocked.Exchange(ref _horizon, horizon.Value);
            }

            while (_superseded.TryPeek(out var item) && item.Timestamp <= horizon)
            {
                _superseded.TryDequeue(out _);
                if (Find(item.Key) is not { } entry)
                {
                    continue;
                }

                var keep = VisibleAt(entry.Head, horizon);
                if (keep is null)
                {
                    continue;
                }

                for (var v = keep.Older; v is not null; v = v.Older)
                {
                    removed++;
                }

                keep.Older = null;
                if (entry.Head is { IsTombstone: true } head && head == keep && !_prepared.ContainsKey(entry.Key))
                {
                    _entries.Remove(entry);
                    removed++;
                }
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }

        return removed;
    }

    /// <summary>Visits every key with its versions, newest first, under the read lock (for snapshots).</summary>
    public void ForEach(Action<TKey, IReadOnlyList<(HlcTimestamp Timestamp, Value? Value)>> visit) => ForEach(null, visit);

    private void ForEach(Action<int>? count, Action<TKey, IReadOnlyList<(HlcTimestamp Timestamp, Value? Value)>> visit)
    {
        ArgumentNullException.ThrowIfNull(visit);
        var versions = new List<(HlcTimestamp, Value?)>();
        _lock.EnterReadLock();
        try
        {
            count?.Invoke(_entries.Count);
            foreach (var entry in _entries)
            {
                versions.Clear();
                for (var v = entry.Head; v is not null; v = v.Older)
                {
                    versions.Add((v.Timestamp, v.IsTombstone ? (Value?)null : v.Value));
                }

                visit(entry.Key, versions);
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _lock.Dispose();

    private void CheckHorizon(HlcTimestamp snapshot)
    {
        var horizon = Interlocked.Read(ref _horizon);
        if (snapshot.Value < horizon)
        {
            throw new CohortException(
                ErrorCodes.SnapshotTooOld,
                $"Cannot read as of {snapshot}: versions before {new HlcTimestamp(horizon)} have been collected (outside the retention window).");
        }
    }

    // A prepared write of a key the scan did not meet (a new key) can still land inside the scanned
    // range at or before the snapshot; the scan must wait for it like a point read does.
    private Task? PreparedInsertInRange(TKey? from, Func<TKey, bool> inRange, HlcTimestamp snapshot, TKey? last, bool bounded)
    {
        foreach (var (key, markers) in _prepared)
        {
            var marker = Earliest(markers);
            if (marker.PrepareTimestamp <= snapshot
                && (from is null || _comparer.Compare(key, from) >= 0)
                && inRange(key)
                && (!bounded || _comparer.Compare(key, last!) <= 0))
            {
                return marker.Resolved;
            }
        }

        return null;
    }

    private PreparedMarker? BlockingMarker(TKey key, HlcTimestamp snapshot)
    {
        if (_prepared.TryGetValue(key, out var markers))
        {
            var earliest = Earliest(markers);
            if (earliest.PrepareTimestamp <= snapshot)
            {
                return earliest;
            }
        }

        return null;
    }

    private static PreparedMarker Earliest(List<PreparedMarker> markers)
    {
        var earliest = markers[0];
        for (var i = 1; i < markers.Count; i++)
        {
            if (markers[i].PrepareTimestamp < earliest.PrepareTimestamp)
            {
                earliest = markers[i];
            }
        }

        return earliest;
    }

    private void AddMarkerLocked(IEnumerable<TKey> keys, PreparedMarker marker)
    {
        foreach (var key in keys)
        {
            if (!_prepared.TryGetValue(key, out var markers))
            {
                markers = new List<PreparedMarker>(1);
                _prepared[key] = markers;
            }

            markers.Add(marker);
        }
    }

    private void RemoveMarkerLocked(TKey key, PreparedMarker marker)
    {
        if (_prepared.TryGetValue(key, out var markers) && markers.Remove(marker) && markers.Count == 0)
        {
            _prepared.Remove(key);
        }
    }

    private void InstallLocked(TKey key, HlcTimestamp timestamp, Value? value, bool force = false)
    {
        var version = new Version(timestamp, value ?? Value.Null, value is null);
        var probe = new Entry(key);
        if (_entries.TryGetValue(probe, out var entry))
        {
            // Versions stay newest-first even if a commit with an older timestamp arrives late (replay).
            if (entry.Head is null || entry.Head.Timestamp <= timestamp)
            {
                version.Older = entry.Head;
                entry.Head = version;
            }
            else
            {
                var after = entry.Head;
                while (after.Older is not null && after.Older.Timestamp > timestamp)
                {
                    after = after.Older;
                }

                version.Older = after.Older;
                after.Older = version;
            }

            _superseded.Enqueue((key, timestamp));
        }
        else if (value is not null || force)
        {
            probe.Head = version;
            _entries.Add(probe);
            if (value is null)
            {
                _superseded.Enqueue((key, timestamp));
            }
        }
    }

    private Entry? Find(TKey key) => _entries.TryGetValue(new Entry(key), out var entry) ? entry : null;

    private static Version? VisibleAt(Version? head, HlcTimestamp snapshot)
    {
        var v = head;
        while (v is not null && v.Timestamp > snapshot)
        {
            v = v.Older;
        }

        return v;
    }
}
