using Cohort.Core;

namespace Cohort.Storage.Locking;

/// <summary>
/// Range locks: predicate locks over ordered key spaces (a table's primary key, one of its indexes). A
/// shared range protects a scan against phantoms, an exclusive point protects a written key, and two holdings
/// of different owners conflict when their ranges overlap and either is exclusive. The same wound-wait rules,
/// deadlines and age-ordered waiters as key locks apply, and a transaction's key and range locks go together
/// on release, wound or abort.
/// </summary>
public sealed partial class LockManager
{
    private readonly Dictionary<string, RangeSpace> _spaces = new(StringComparer.Ordinal);

    /// <summary>Number of range-lock spaces with holders or waiters (for tests and metrics).</summary>
    public int LockedSpaceCount
    {
        get
        {
            lock (_gate)
            {
                return _spaces.Count;
            }
        }
    }

    /// <summary>
    /// Acquires <paramref name="mode"/> on <paramref name="range"/> of key space <paramref name="space"/>, whose keys
    /// <paramref name="comparer"/> orders (every caller of one space must pass an equivalent comparer). Completes
    /// synchronously when granted at once or already covered by a holding of the owner; otherwise waits, wounding
    /// younger conflicting holders, exactly as <see cref="AcquireAsync"/> does.
    /// </summary>
    public ValueTask AcquireRangeAsync(LockOwner owner, string space, LockRange range, LockMode mode, IComparer<object> comparer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(comparer);
        List<LockOwner>? wounded = null;
        Waiter? waiter = null;
        lock (_gate)
        {
            ThrowIfUnusable(owner);
            if (!_spaces.TryGetValue(space, out var entry))
            {
                entry = new RangeSpace(comparer);
                _spaces[space] = entry;
            }
            else if (owner.Coverage.TryGetValue(space, out var coverage) && coverage.Covers(range, mode))
            {
                return ValueTask.CompletedTask;
            }

            if (entry.CanGrant(owner, range, mode))
            {
                GrantRange(entry, owner, space, range, mode);
                return ValueTask.CompletedTask;
            }

            waiter = new Waiter(owner, space, mode) { Range = range };
            entry.AddWaiter(waiter);
            owner.Waiting = waiter;
            foreach (var holder in entry.Holders)
            {
                if (holder.Owner != owner && Conflicts(holder.Mode, mode) && holder.Range.Overlaps(range, entry.Comparer)
                    && owner.Id.IsOlderThan(holder.Owner.Id) && !holder.Owner.Prepared && !(wounded?.Contains(holder.Owner) ?? false))
                {
                    (wounded ??= []).Add(holder.Owner);
                }
            }

            foreach (var victim in wounded ?? [])
            {
                victim.WoundedBy = owner.Id;
                ReleaseAllLocked(victim, ErrorCodes.Wounded, $"Transaction {victim.Id} was wounded by older transaction {owner.Id}.");
            }

            GrantRangeWaitersLocked(entry);
        }

        foreach (var victim in wounded ?? [])
        {
            _onWound(victim);
        }

        return waiter.Granted ? ValueTask.CompletedTask : WaitAsync(waiter, cancellationToken);
    }

    /// <summary>Takes an exclusive range at once, for a prepared transaction coming back after a restart.</summary>
    public void AcquireRangeRecovered(LockOwner owner, string space, LockRange range, IComparer<object> comparer) =>
        AcquireRangeRecovered(owner, space, range, LockMode.Exclusive, comparer);

    /// <summary>
    /// Takes a range in <paramref name="mode"/> at once, for a prepared transaction coming back after a restart;
    /// throws when another holder conflicts (it cannot: prepared transactions never hold conflicting locks).
    /// </summary>
    public void AcquireRangeRecovered(LockOwner owner, string space, LockRange range, LockMode mode, IComparer<object> comparer)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(comparer);
        lock (_gate)
        {
            if (!_spaces.TryGetValue(space, out var entry))
            {
                entry = new RangeSpace(comparer);
                _spaces[space] = entry;
            }

            if (!entry.CanGrant(owner, range, mode))
            {
                throw new InvalidOperationException($"Recovered transaction {owner.Id} cannot retake its lock on {range} in '{space}'.");
            }

            GrantRange(entry, owner, space, range, mode);
            owner.Prepared = true;
        }
    }

    /// <summary>The number of range holdings the owner has (for tests).</summary>
    public int HeldRangeCount(LockOwner owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        lock (_gate)
        {
            return owner.HeldRanges.Count;
        }
    }

    private static void GrantRange(RangeSpace entry, LockOwner owner, string space, LockRange range, LockMode mode)
    {
        var holder = new RangeHolder(owner, range, mode);
        entry.Holders.Add(holder);
        entry.HolderCounts[owner] = entry.HolderCounts.GetValueOrDefault(owner) + 1;
        owner.HeldRanges.Add((space, holder));
        if (!owner.Coverage.TryGetValue(space, out var coverage))
        {
            coverage = new RangeCoverage(entry.Comparer);
            owner.Coverage[space] = coverage;
        }

        coverage.Add(range, mode);
    }

    private void ReleaseRangesLocked(LockOwner owner)
    {
        if (owner.HeldRanges.Count == 0)
        {
            return;
        }

        // One pass per space (removing holdings one by one made releasing n of them quadratic).
        HashSet<string> touched = new(StringComparer.Ordinal);
        foreach (var (space, _) in owner.HeldRanges)
        {
            touched.Add(space);
        }

        owner.HeldRanges.Clear();
        foreach (var space in touched)
        {
            owner.Coverage.Remove(space);
            if (_spaces.TryGetValue(space, out var entry))
            {
                var removed = entry.Holders.RemoveAll(h => h.Owner == owner);
                var left = entry.HolderCounts.GetValueOrDefault(owner) - removed;
                if (left > 0)
                {
                    entry.HolderCounts[owner] = left;
                }
                else
                {
                    entry.HolderCounts.Remove(owner);
                }
            }
        }

        foreach (var space in touched)
        {
            if (!_spaces.TryGetValue(space, out var entry))
            {
                continue;
            }

            GrantRangeWaitersLocked(entry);
            if (entry.Holders.Count == 0 && entry.Waiters.Count == 0)
            {
                _spaces.Remove(space);
            }
        }
    }

    private void RemoveRangeWaiterLocked(Waiter waiter)
    {
        if (_spaces.TryGetValue(waiter.Key, out var entry))
        {
            entry.Waiters.Remove(waiter);
            GrantRangeWaitersLocked(entry);
            if (entry.Holders.Count == 0 && entry.Waiters.Count == 0)
            {
                _spaces.Remove(waiter.Key);
            }
        }
    }

    private static void GrantRangeWaitersLocked(RangeSpace entry)
    {
        // Unlike a key's queue, a space's waiters often want disjoint ranges: grant every waiter that can be
        // granted (oldest first), not only a prefix of the queue.
        for (var i = 0; i < entry.Waiters.Count;)
        {
            var next = entry.Waiters[i];
            var range = next.Range!.Value;
            if (!entry.CanGrant(next.Owner, range, next.Mode))
            {
                i++;
                continue;
            }

            entry.Waiters.RemoveAt(i);
            var space = next.Key;
            GrantRange(entry, next.Owner, space, range, next.Mode);
            next.Owner.Waiting = null;
            next.Granted = true;
            next.Done.TrySetResult();
        }
    }

    internal sealed record RangeHolder(LockOwner Owner, LockRange Range, LockMode Mode);

    private sealed class RangeSpace(IComparer<object> comparer)
    {
        public IComparer<object> Comparer { get; } = comparer;

        public List<RangeHolder> Holders { get; } = [];

        // How many holdings each owner has here: lets a request skip the holders when they are all its own.
        public Dictionary<LockOwner, int> HolderCounts { get; } = new(ReferenceEqualityComparer.Instance);

        // Oldest transaction first.
        public List<Waiter> Waiters { get; } = [];

        public bool CanGrant(LockOwner owner, LockRange range, LockMode mode)
        {
            var othersHold = HolderCounts.Count > 1 || (HolderCounts.Count == 1 && !HolderCounts.ContainsKey(owner));
            foreach (var holder in othersHold ? Holders : [])
            {
                if (holder.Owner != owner && Conflicts(holder.Mode, mode) && holder.Range.Overlaps(range, Comparer))
                {
                    return false;
                }
            }

            // Never overtake an older waiter that wants an overlapping, incompatible range.
            foreach (var waiter in Waiters)
            {
                if (!waiter.Owner.Id.IsOlderThan(owner.Id))
                {
                    break;
                }

                if (waiter.Owner != owner && Conflicts(waiter.Mode, mode) && waiter.Range!.Value.Overlaps(range, Comparer))
                {
                    return false;
                }
            }

            return true;
        }

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
