using Cohort.Core;
using Cohort.Core.Execution;

namespace Cohort.Storage.Locking;

/// <summary>
/// Shared/exclusive locks on string keys with wound-wait deadlock prevention. When a request conflicts
/// with a younger holder that is not prepared, the holder is wounded: it loses all its locks at once
/// and is reported through the wound callback so its engine aborts it. Otherwise the requester waits,
/// asynchronously, until granted, its deadline passes or it is wounded or aborted itself. Waiters are
/// served oldest first, and a request never overtakes an older waiter it conflicts with, so a young
/// transaction cannot starve an old one.
/// </summary>
public sealed partial class LockManager
{
    private static readonly TimeSpan MaxTimedWait = TimeSpan.FromMilliseconds(uint.MaxValue - 1);
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Action<LockOwner> _onWound;
    private readonly TimeProvider _time;

    /// <summary>Creates a lock manager; <paramref name="onWound"/> runs (outside the manager's gate) for each wounded transaction.</summary>
    public LockManager(Action<LockOwner> onWound, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(onWound);
        _onWound = onWound;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Number of keys with holders or waiters (for tests and metrics).</summary>
    public int LockedKeyCount
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>
    /// Acquires (or upgrades to) <paramref name="mode"/> on <paramref name="key"/>. Completes synchronously
    /// when granted at once. Throws <see cref="CohortException"/> with <c>wounded</c>, <c>lock_timeout</c> or
    /// <c>aborted</c> when the lock cannot be had.
    /// </summary>
    public ValueTask AcquireAsync(LockOwner owner, string key, LockMode mode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(key);
        List<LockOwner>? wounded = null;
        Waiter? waiter = null;
        lock (_gate)
        {
            ThrowIfUnusable(owner);
            if (owner.Held.TryGetValue(key, out var held) && held >= mode)
            {
                return ValueTask.CompletedTask;
            }

            if (!_entries.TryGetValue(key, out var entry))
            {
                entry = new Entry();
                _entries[key] = entry;
            }

            if (CanGrant(entry, owner, mode))
            {
                Grant(entry, owner, key, mode);
                return ValueTask.CompletedTask;
            }

            // Queue first, then wound: the victims' releases grant waiters in age order, and with this
            // request already queued no younger waiter can slip in ahead of it and deadlock with it.
            waiter = new Waiter(owner, key, mode);
            entry.AddWaiter(waiter);
            owner.Waiting = waiter;
            foreach (var holder in entry.Holders)
            {
                if (holder.Owner != owner && Conflicts(holder.Mode, mode) && owner.Id.IsOlderThan(holder.Owner.Id) && !holder.Owner.Prepared)
                {
                    (wounded ??= []).Add(holder.Owner);
                }
            }

            foreach (var victim in wounded ?? [])
            {
                victim.WoundedBy = owner.Id;
                ReleaseAllLocked(victim, ErrorCodes.Wounded, $"Transaction {victim.Id} was wounded by older transaction {owner.Id}.");
            }

            GrantWaitersLocked(entry);
        }

        foreach (var victim in wounded ?? [])
        {
            _onWound(victim);
        }

        return waiter.Granted ? ValueTask.CompletedTask : WaitAsync(waiter, cancellationToken);
    }

    /// <summary>
    /// Marks the owner prepared: from now on it is never wounded and its waits are over. Returns false
    /// when it has already been wounded or released (the transaction must then vote no).
    /// </summary>
    public bool TryMarkPrepared(LockOwner owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        lock (_gate)
        {
            if (owner.IsWounded || owner.Released)
            {
                return false;
            }

            owner.Prepared = true;
            return true;
        }
    }

    /// <summary>
    /// Takes <paramref name="mode"/> at once, for a prepared transaction coming back after a restart;
    /// throws when another holder conflicts (it cannot: prepared writers never overlap).
    /// </summary>
    public void AcquireRecovered(LockOwner owner, string key, LockMode mode)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var entry))
            {
                entry = new Entry();
                _entries[key] = entry;
            }

            if (!CanGrant(entry, owner, mode))
            {
                throw new InvalidOperationException($"Recovered transaction {owner.Id} cannot retake its lock on '{key}'.");
            }

            Grant(entry, owner, key, mode);
            owner.Prepared = true;
        }
    }

    /// <summary>Releases every lock of the owner and fails its pending wait with <c>aborted</c>. Idempotent.</summary>
    public void ReleaseAll(LockOwner owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        lock (_gate)
        {
            ReleaseAllLocked(owner, ErrorCodes.Aborted, null);
        }
    }

    /// <summary>
    /// The keys the owner holds in shared mode only and the ranges it holds in shared mode: what a prepared
    /// transaction must log to keep its reads valid across a restart (its exclusive locks follow from its writes).
    /// </summary>
    public (IReadOnlyList<string> Keys, IReadOnlyList<(string Space, LockRange Range)> Ranges) HeldShared(LockOwner owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        lock (_gate)
        {
            var keys = new List<string>();
            foreach (var (key, mode) in owner.Held)
            {
                if (mode == LockMode.Shared)
                {
                    keys.Add(key);
                }
            }

            var ranges = new List<(string Space, LockRange Range)>();
            foreach (var (space, holder) in owner.HeldRanges)
            {
                if (holder.Mode == LockMode.Shared)
                {
                    ranges.Add((space, holder.Range));
                }
            }

            return (keys, ranges);
        }
    }

    /// <summary>The mode the owner holds on <paramref name="key"/>, if any.</summary>
    public LockMode? HeldMode(LockOwner owner, string key)
    {
        lock (_gate)
        {
            return owner.Held.TryGetValue(key, out var mode) ? mode : null;
        }
    }

    private async ValueTask WaitAsync(Waiter waiter, CancellationToken cancellationToken)
    {
        var remaining = waiter.Owner.Deadline - _time.GetUtcNow();
        try
        {
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException();
            }

            // Timer-based waits are limited to about 49 days; a deadline beyond that means "no deadline".
            await waiter.Done.Task.WaitAsync(remaining > MaxTimedWait ? Timeout.InfiniteTimeSpan : remaining, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not CohortException)
        {
            lock (_gate)
            {
                if (waiter.Granted)
                {
                    // Granted in the same instant the wait gave up: keep the lock, the caller proceeds.
                    return;
                }

                RemoveWaiterLocked(waiter);
            }

            if (e is not TimeoutException)
            {
                throw;
            }

            throw new CohortException(
                ErrorCodes.LockTimeout,
                waiter.Range is { } range
                    ? $"Transaction {waiter.Owner.Id} timed out at its deadline waiting for a {waiter.Mode} lock on {range} in '{waiter.Key}'."
                    : $"Transaction {waiter.Owner.Id} timed out at its deadline waiting for a {waiter.Mode} lock on '{waiter.Key}'.");
        }
    }

    private static void ThrowIfUnusable(LockOwner owner)
    {
        if (owner.IsWounded)
        {
            throw new CohortException(ErrorCodes.Wounded, $"Transaction {owner.Id} was wounded by older transaction {owner.WoundedBy} and must abort.");
        }

        if (owner.Released)
        {
            throw new CohortException(ErrorCodes.Aborted, $"Transaction {owner.Id} has released its locks and takes no new ones.");
        }
    }

    private static bool Conflicts(LockMode a, LockMode b) => a == LockMode.Exclusive || b == LockMode.Exclusive;

    private static bool CanGrant(Entry entry, LockOwner owner, LockMode mode)
    {
        foreach (var holder in entry.Holders)
        {
            if (holder.Owner != owner && Conflicts(holder.Mode, mode))
            {
                return false;
            }
        }

        // Never overtake an older waiter that wants something incompatible.
        foreach (var waiter in entry.Waiters)
        {
            if (!waiter.Owner.Id.IsOlderThan(owner.Id))
            {
                break;
            }

            if (waiter.Owner != owner && Conflicts(waiter.Mode, mode))
            {
                return false;
            }
        }

        return true;
    }

    private static void Grant(Entry entry, LockOwner owner, string key, LockMode mode)
    {
        for (var i = 0; i < entry.Holders.Count; i++)
        {
            if (entry.Holders[i].Owner == owner)
            {
                entry.Holders[i] = new Holder(owner, mode);
                owner.Held[key] = mode;
                return;
            }
        }

        entry.Holders.Add(new Holder(owner, mode));
        owner.Held[key] = mode;
    }

    private void ReleaseAllLocked(LockOwner owner, string code, string? message)
    {
        if (owner.Released)
        {
            return;
        }

        owner.Released = true;
        if (owner.Waiting is { } waiter)
        {
            RemoveWaiterLocked(waiter);
            waiter.Done.TrySetException(new CohortException(code, message ?? $"Transaction {owner.Id} was aborted while waiting for a lock."));
        }

        foreach (var key in owner.Held.Keys)
        {
            ReleaseKeyLocked(owner, key);
        }

        owner.Held.Clear();
        ReleaseRangesLocked(owner);
    }

    private void ReleaseKeyLocked(LockOwner owner, string key)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            return;
        }

        for (var i = entry.Holders.Count - 1; i >= 0; i--)
        {
            if (entry.Holders[i].Owner == owner)
            {
                entry.Holders.RemoveAt(i);
            }
        }

        GrantWaitersLocked(entry);
        if (entry.Holders.Count == 0 && entry.Waiters.Count == 0)
        {
            _entries.Remove(key);
        }
    }

    private void RemoveWaiterLocked(Waiter waiter)
    {
        waiter.Owner.Waiting = null;
        if (waiter.Range is not null)
        {
            RemoveRangeWaiterLocked(waiter);
        }
        else if (_entries.TryGetValue(waiter.Key, out var entry))
        {
            entry.Waiters.Remove(waiter);
            GrantWaitersLocked(entry);
            if (entry.Holders.Count == 0 && entry.Waiters.Count == 0)
            {
                _entries.Remove(waiter.Key);
            }
        }
    }

    private static void GrantWaitersLocked(Entry entry)
    {
        while (entry.Waiters.Count > 0)
        {
            var next = entry.Waiters[0];
            if (!CanGrant(entry, next.Owner, next.Mode))
            {
                return;
            }

            entry.Waiters.RemoveAt(0);
            Grant(entry, next.Owner, next.Key, next.Mode);
            next.Owner.Waiting = null;
            next.Granted = true;
            next.Done.TrySetResult();
        }
    }

    internal readonly record struct Holder(LockOwner Owner, LockMode Mode);

    internal sealed class Waiter(LockOwner owner, string key, LockMode mode)
    {
        public LockOwner Owner { get; } = owner;

        public string Key { get; } = key;

        public LockMode Mode { get; } = mode;

        /// <summary>For a range request: the range (and <see cref="Key"/> is the space); null for a key request.</summary>
        public LockRange? Range { get; init; }

        public bool Granted { get; set; }

        public Promise Done { get; } = new();
    }

    private sealed class Entry
    {
        public List<Holder> Holders { get; } = new(1);

        // Oldest transaction first.
        public List<Waiter> Waiters { get; } = [];

        public void AddWaiter(Waiter waiter)
        {
            var i = Waiters.Count;
            while (i > 0 && waiter.Owner.Id.IsOlderThan(Waiters[i - 1].Owner.Id))
            {
                i--;
            }

            Waiters.Insert(i, waiter);
        }
    }
}
