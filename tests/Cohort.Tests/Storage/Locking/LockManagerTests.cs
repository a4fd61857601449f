using Cohort.Storage.Locking;

namespace Cohort.Tests.Storage.Locking;

public sealed class LockManagerTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset Start = new(2026, 5, 21, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);
    private readonly List<LockOwner> _wounded = [];
    private readonly LockManager _locks;

    public LockManagerTests()
    {
        _locks = new LockManager(
            victim =>
            {
                lock (_wounded)
                {
                    _wounded.Add(victim);
                }
            },
            _time);
    }

    [Fact]
    public void Acquire_SharedBySeveralOwners_IsGrantedToAll()
    {
        var owners = new[] { Owner(1), Owner(2), Owner(3) };

        var grants = owners.Select(o => Acquire(o, "k", LockMode.Shared)).ToList();

        Assert.All(grants, g => Assert.True(g.IsCompletedSuccessfully));
        Assert.All(owners, o => Assert.Equal(LockMode.Shared, _locks.HeldMode(o, "k")));
        Assert.Empty(_wounded);
    }

    [Fact]
    public async Task Acquire_ExclusiveByYoungerWhileOlderHoldsShared_WaitsUntilReleased()
    {
        var older = Owner(1);
        var younger = Owner(2);
        await Acquire(older, "k", LockMode.Shared);

        var wait = Acquire(younger, "k", LockMode.Exclusive);

        Assert.False(wait.IsCompleted);
        Assert.Empty(_wounded);
        Assert.Null(_locks.HeldMode(younger, "k"));

        _locks.ReleaseAll(older);
        await wait.WaitAsync(Deadline);

        Assert.Equal(LockMode.Exclusive, _locks.HeldMode(younger, "k"));
    }

    [Fact]
    public async Task Acquire_ConflictingWithYoungerHolder_WoundsItAndIsGrantedAtOnce()
    {
        var older = Owner(1);
        var younger = Owner(2);
        await Acquire(younger, "k", LockMode.Exclusive);
        await Acquire(younger, "other", LockMode.Shared);

        var grant = Acquire(older, "k", LockMode.Exclusive);

        Assert.True(grant.IsCompletedSuccessfully);
        Assert.Equal([younger], _wounded);
        Assert.True(younger.IsWounded);
        Assert.Equal(older.Id, younger.WoundedBy);
        Assert.Null(_locks.HeldMode(younger, "k"));
        Assert.Null(_locks.HeldMode(younger, "other"));
        Assert.Equal(LockMode.Exclusive, _locks.HeldMode(older, "k"));

        var e = await Assert.ThrowsAsync<CohortException>(async () => await _locks.AcquireAsync(younger, "fresh", LockMode.Shared, CancellationToken.None));
        Assert.Equal(ErrorCodes.Wounded, e.Code);
        Assert.True(e.IsTransient);
        Assert.False(_locks.TryMarkPrepared(younger));
    }

    [Fact]
    public async Task Acquire_SharedByOlderWhileYoungerHoldsExclusive_WoundsIt()
    {
        var older = Owner(1);
        var younger = Owner(2);
        await Acquire(younger, "k", LockMode.Exclusive);

        var grant = Acquire(older, "k", LockMode.Shared);

        Assert.True(grant.IsCompletedSuccessfully);
        Assert.True(younger.IsWounded);
        Assert.Equal(LockMode.Shared, _locks.HeldMode(older, "k"));
    }

    [Fact]
    public async Task Acquire_ConflictingWithSeveralYoungerSharedHolders_WoundsThemAll()
    {
        var oldest = Owner(1);
        var readers = new[] { Owner(2), Owner(3), Owner(4) };
        foreach (var reader in readers)
        {
            await Acquire(reader, "k", LockMode.Shared);
        }

        var grant = Acquire(oldest, "k", LockMode.Exclusive);

        Assert.True(grant.IsCompletedSuccessfully);
        Assert.Equal(readers.Select(r => r.Id).Order(), _wounded.Select(w => w.Id).Order());
        Assert.All(readers, r => Assert.Equal(oldest.Id, r.WoundedBy));
    }

    [Fact]
    public async Task Acquire_ConflictingWithPreparedYoungerHolder_WaitsWithoutWounding()
    {
        var older = Owner(1);
        var younger = Owner(2);
        await Acquire(younger, "k", LockMode.Exclusive);
        Assert.True(_locks.TryMarkPrepared(younger));

        var wait = Acquire(older, "k", LockMode.Exclusive);

        Assert.False(wait.IsCompleted);
        Assert.Empty(_wounded);
        Assert.False(younger.IsWounded);
        Assert.Equal(LockMode.Exclusive, _locks.HeldMode(younger, "k"));

        _locks.ReleaseAll(younger);
        await wait.WaitAsync(Deadline);

        Assert.Equal(LockMode.Exclusive, _locks.HeldMode(older, "k"));
    }

    [Fact]
    public async Task Acquire_YoungerRequesterOfHeldKey_WaitsForOlderHolderAndIsGrantedOnRelease()
    {
        var older = Owner(1);
        var younger = Owner(2);
        await Acquire(older, "k", LockMode.Exclusive);

        var wait = Acquire(younger, "k", LockMode.Shared);

        Assert.False(wait.IsCompleted);
        Assert.Empty(_wounded);
        Assert.False(older.IsWounded);

        _locks.ReleaseAll(older);
        await wait.WaitAsync(Deadline);

        Assert.Equal(LockMode.Shared, _locks.HeldMode(younger, "k"));
    }

    [Fact]
    public async Task Acquire_UpgradeBySoleSharedHolder_IsImmediate()
    {
        var owner = Owner(1);
        await Acquire(owner, "k", LockMode.Shared);

        var upgrade = Acquire(owner, "k", LockMode.Exclusive);
        var downgrade = Acquire(owner, "k", LockMode.Shared);

        Assert.True(upgrade.IsCompletedSuccessfully);
        Assert.True(downgrade.IsCompletedSuccessfully);
        Assert.Equal(LockMode.Exclusive, _locks.HeldMode(owner, "k")); // asking for less keeps what is held
    }

    [Fact]
    public async Task Acquire_UpgradeWhileOlderAlsoHoldsShared_WaitsForIt()
    {
        var older = Owner(1);
        var younger = Owner(2);
        await Acquire(older, "k", LockMode.Shared);
        await Acquire(younger, "k", LockMode.Shared);

        var upgrade = Acquire(younger, "k", LockMode.Exclusive);

        Assert.False(upgrade.IsCompleted);
        Assert.Equal(LockMode.Shared, _locks.HeldMode(younger, "k")); // keeps its shared lock while waiting

        _locks.ReleaseAll(older);
        await upgrade.WaitAsync(Deadline);

        Assert.Equal(LockMode.Exclusive, _locks.HeldMode(younger, "k"));
    }

    [Fact]
    public async Task Acquire_UpgradeByOlderWhileYoungerWaitsToUpgradeToo_WoundsTheYounger()
    {
        var older = Owner(1);
        var younger = Owner(2);
        await Acquire(older, "k", LockMode.Shared);
        await Acquire(younger, "k", LockMode.Shared);
        var youngerUpgrade = Acquire(younger, "k", LockMode.Exclusive);

        var olderUpgrade = Acquire(older, "k", LockMode.Exclusive);

        Assert.True(olderUpgrade.IsCompletedSuccessfully);
        var e = await Assert.ThrowsAsync<CohortException>(() => youngerUpgrade.WaitAsync(Deadline));
        Assert.Equal(ErrorCodes.Wounded, e.Code);
        Assert.Equal(LockMode.Exclusive, _locks.HeldMode(older, "k"));
    }

    [Fact]
    public async Task Acquire_NotGrantedByOwnersDeadline_FailsWithLockTimeout()
    {
        var holder = Owner(1);
        var waiter = Owner(2, Start.AddSeconds(5));
        await Acquire(holder, "k", LockMode.Exclusive);
        await Acquire(waiter, "mine", LockMode.Exclusive);

        var wait = Acquire(waiter, "k", LockMode.Shared);
        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(wait.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(2));

        var e = await Assert.ThrowsAsync<CohortException>(() => wait.WaitAsync(Deadline));
        Assert.Equal(ErrorCodes.LockTimeout, e.Code);
        Assert.True(e.IsTransient);

        // The timed-out owner keeps what it had and is no longer queued on "k".
        Assert.Equal(LockMode.Exclusive, _locks.HeldMode(waiter, "mine"));
        _locks.ReleaseAll(holder);
        Assert.Equal(1, _locks.LockedKeyCount);
        Assert.Null(_locks.HeldMode(waiter, "k"));
    }

    [Fact]
    public async Task Acquire_WithDeadlineAlreadyPassed_FailsWithLockTimeoutAtOnce()
    {
        var holder = Owner(1);
        var late = Owner(2, Start.AddSeconds(-1));
        await Acquire(holder, "k", LockMode.Exclusive);

        var e = await Assert.ThrowsAsync<CohortException>(() => Acquire(late, "k", LockMode.Exclusive).WaitAsync(Deadline));

        Assert.Equal(ErrorCodes.LockTimeout, e.Code);
        _locks.ReleaseAll(holder);
        Assert.Equal(0, _locks.LockedKeyCount);
    }

    [Fact]
    public async Task Acquire_WithRealShortDeadline_FailsWithLockTimeout()
    {
        var locks = new LockManager(_ => { });
        var holder = new LockOwner(Id(1), DateTimeOffset.UtcNow.AddMinutes(5));
        var waiter = new LockOwner(Id(2), DateTimeOffset.UtcNow.AddMilliseconds(200));
        await locks.AcquireAsync(holder, "k", LockMode.Exclusive, CancellationToken.None);

        var e = await Assert.ThrowsAsync<CohortException>(() => locks.AcquireAsync(waiter, "k", LockMode.Exclusive, CancellationToken.None).AsTask().WaitAsync(Deadline));

        Assert.Equal(ErrorCodes.LockTimeout, e.Code);
    }

    [Fact]
    public async Task Acquire_WithFarAwayDeadline_WaitsAndIsGranted()
    {
        // "No deadline" owners (DateTimeOffset.MaxValue) and long-running ones must be able to wait.
        var holder = Owner(1);
        var patient = Owner(2, DateTimeOffset.MaxValue);
        var slow = Owner(3, Start.AddDays(100));
        await Acquire(holder, "k", LockMode.Shared);

        var patientWait = Acquire(patient, "k", LockMode.Exclusive);
        var slowWait = Acquire(slow, "k2", LockMode.Exclusive);
        _locks.ReleaseAll(holder);

        await patientWait.WaitAsync(Deadline);
        Assert.True(slowWait.IsCompletedSuccessfully, slowWait.Exception?.InnerException?.Message);
        Assert.Equal(LockMode.Exclusive, _locks.HeldMode(patient, "k"));
    }

    [Fact]
    public async Task ReleaseAll_OnWaitingOwner_FailsItsWaitWithAborted()
    {
        var holder = Owner(1);
        var waiter = Owner(2);
        await Acquire(holder, "k", LockMode.Exclusive);
        var wait = Acquire(waiter, "k", LockMode.Exclusive);

        _locks.ReleaseAll(waiter);

        var e = await Assert.ThrowsAsync<CohortException>(() => wait.WaitAsync(Deadline));
        Assert.Equal(ErrorCodes.Aborted, e.Code);
        _locks.ReleaseAll(holder);
        Assert.Equal(0, _locks.LockedKeyCount);
        Assert.Null(_locks.HeldMode(waiter, "k"));
        _locks.ReleaseAll(waiter); // idempotent
        var again = await Assert.ThrowsAsync<CohortException>(async () => await _locks.AcquireAsync(waiter, "k", LockMode.Shared, CancellationToken.None));
        Assert.Equal(ErrorCodes.Aborted, again.Code);
    }

    [Fact]
    public async Task Acquire_WhenWaitingOwnerIsWounded_FailsItsWaitWithWounded()
    {
        var oldest = Owner(1);
        var middle = Owner(2);
        var youngest = Owner(3);
        await Acquire(oldest, "b", LockMode.Exclusive);
        await Acquire(youngest, "a", LockMode.Exclusive);
        var youngestWait = Acquire(youngest, "b", LockMode.Exclusive);
        Assert.False(youngestWait.IsCompleted);

        var middleGrant = Acquire(middle, "a", LockMode.Exclusive);

        Assert.True(middleGrant.IsCompletedSuccessfully);
        var e = await Assert.ThrowsAsync<CohortException>(() => youngestWait.WaitAsync(Deadline));
        Assert.Equal(ErrorCodes.Wounded, e.Code);
        Assert.Equal([youngest], _wounded);

        _locks.ReleaseAll(oldest);
        Assert.True(Acquire(Owner(4), "b", LockMode.Exclusive).IsCompletedSuccessfully, "the wounded owner's wait on \"b\" is gone");
        Assert.Null(_locks.HeldMode(youngest, "b"));
    }

    [Fact]
    public async Task Acquire_AfterWoundingTheSoleHolder_KeepsTheKeyLockedAgainstOthers()
    {
        var older = Owner(1);
        var victim = Owner(2);
        var latecomer = Owner(3);
        await Acquire(victim, "k", LockMode.Exclusive);
        await Acquire(older, "k", LockMode.Exclusive); // wounds victim, the only holder of "k"

        var conflicting = Acquire(latecomer, "k", LockMode.Exclusive);

        Assert.True(victim.IsWounded);
        Assert.False(conflicting.IsCompleted, "a younger transaction got an exclusive lock that the older one holds");
        Assert.Equal(1, _locks.LockedKeyCount);
        _locks.ReleaseAll(older);
        await conflicting.WaitAsync(Deadline);
    }

    [Fact]
    public async Task Release_WithSeveralWaiters_GrantsOldestFirst()
    {
        var holder = Owner(1);
        var w2 = Owner(2);
        var w3 = Owner(3);
        var w4 = Owner(4);
        await Acquire(holder, "k", LockMode.Exclusive);
        var wait4 = Acquire(w4, "k", LockMode.Exclusive);
        var wait2 = Acquire(w2, "k", LockMode.Exclusive);
        var wait3 = Acquire(w3, "k", LockMode.Exclusive);

        _locks.ReleaseAll(holder);
        await wait2.WaitAsync(Deadline);
        Assert.False(wait3.IsCompleted);
        Assert.False(wait4.IsCompleted);

        _locks.ReleaseAll(w2);
        await wait3.WaitAsync(Deadline);
        Assert.False(wait4.IsCompleted);

        _locks.ReleaseAll(w3);
        await wait4.WaitAsync(Deadline);
        Assert.Empty(_wounded);
    }

    [Fact]
    public async Task Release_WithCompatibleSharedWaitersAtHead_GrantsThemTogether()
    {
        var holder = Owner(1);
        await Acquire(holder, "k", LockMode.Exclusive);
        var reader2 = Acquire(Owner(2), "k", LockMode.Shared);
        var writer4 = Acquire(Owner(4), "k", LockMode.Exclusive);
        var reader3 = Acquire(Owner(3), "k", LockMode.Shared);

        _locks.ReleaseAll(holder);
        await Task.WhenAll(reader2, reader3).WaitAsync(Deadline);

        Assert.False(writer4.IsCompleted);
    }

    [Fact]
    public async Task Acquire_CompatibleWithHoldersButBehindOlderConflictingWaiter_DoesNotOvertake()
    {
        var holder = Owner(1);
        var writer = Owner(2);
        var reader = Owner(3);
        await Acquire(holder, "k", LockMode.Shared);
        var writerWait = Acquire(writer, "k", LockMode.Exclusive);

        var readerWait = Acquire(reader, "k", LockMode.Shared);

        Assert.False(readerWait.IsCompleted, "a young reader must not starve an older writer");
        _locks.ReleaseAll(holder);
        await writerWait.WaitAsync(Deadline);
        Assert.False(readerWait.IsCompleted);
        _locks.ReleaseAll(writer);
        await readerWait.WaitAsync(Deadline);
    }

    [Fact]
    public async Task Acquire_ByOlderWhenWoundedHolderHasYoungerWaiter_IsGrantedBeforeThatWaiter()
    {
        // oldest holds "k2"; middle holds "k"; youngest waits for "k" (behind middle, which it may not wound).
        // When oldest asks for "k" it wounds middle. The lock must go to oldest, not to youngest: otherwise
        // oldest waits behind a younger, unprepared holder, and when youngest then asks for "k2" (held by
        // oldest) the two wait for each other until their deadlines: the deadlock wound-wait exists to prevent.
        var oldest = Owner(1);
        var middle = Owner(2);
        var youngest = Owner(3);
        await Acquire(oldest, "k2", LockMode.Exclusive);
        await Acquire(middle, "k", LockMode.Exclusive);
        var youngestWait = Acquire(youngest, "k", LockMode.Exclusive);

        var oldestRequest = Acquire(oldest, "k", LockMode.Exclusive);

        Assert.True(middle.IsWounded);
        Assert.True(oldestRequest.IsCompletedSuccessfully, "the oldest transaction wounded the holder but was queued behind a younger waiter");
        Assert.False(youngestWait.IsCompleted);
        Assert.Equal(LockMode.Exclusive, _locks.HeldMode(oldest, "k"));
    }

    [Fact]
    public async Task Acquire_WaitCancelled_ThrowsAndLeavesTheQueue()
    {
        var holder = Owner(1);
        var waiter = Owner(2);
        var next = Owner(3);
        await Acquire(holder, "k", LockMode.Exclusive);
        using var cancellation = new CancellationTokenSource();
        var cancelled = _locks.AcquireAsync(waiter, "k", LockMode.Exclusive, cancellation.Token).AsTask();
        var nextWait = Acquire(next, "k", LockMode.Exclusive);

        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Deadline));
        _locks.ReleaseAll(holder);
        await nextWait.WaitAsync(Deadline); // not stuck behind the cancelled waiter
        Assert.Null(_locks.HeldMode(waiter, "k"));
    }

    [Fact]
    public async Task TryMarkPrepared_AfterWoundOrRelease_ReturnsFalse()
    {
        var older = Owner(1);
        var wounded = Owner(2);
        var released = Owner(3);
        var fine = Owner(4);
        await Acquire(wounded, "k", LockMode.Exclusive);
        await Acquire(older, "k", LockMode.Exclusive);
        _locks.ReleaseAll(released);

        Assert.False(_locks.TryMarkPrepared(wounded));
        Assert.False(_locks.TryMarkPrepared(released));
        Assert.True(_locks.TryMarkPrepared(fine));
        Assert.True(_locks.TryMarkPrepared(fine));
    }

    [Fact]
    public async Task AcquireRecovered_TakesLockAsPreparedSoItIsNeverWounded()
    {
        var recovered = Owner(5);
        _locks.AcquireRecovered(recovered, "k", LockMode.Exclusive);
        var older = Owner(1);

        var wait = Acquire(older, "k", LockMode.Exclusive);

        Assert.False(wait.IsCompleted);
        Assert.False(recovered.IsWounded);
        Assert.Throws<InvalidOperationException>(() => _locks.AcquireRecovered(Owner(6), "k", LockMode.Shared));
        _locks.ReleaseAll(recovered);
        await wait.WaitAsync(Deadline);
    }

    [Fact]
    public async Task Acquire_RandomContentionWithWoundWait_FinishesWithoutDeadlockOrConflictingGrants()
    {
        const int Seed = 4242;
        const int Workers = 32;
        const int TransactionsPerWorker = 40;
        const int Keys = 8;
        var locks = new LockManager(_ => { });
        var tracker = new GrantTracker();
        long nextAge = 0;
        var committed = 0;
        var failures = new List<Exception>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(120));

        var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            var random = new Random(Seed + w);
            for (var t = 0; t < TransactionsPerWorker; t++)
            {
                // A retried transaction keeps its id, so it ages and eventually cannot be wounded.
                var id = Id(Interlocked.Increment(ref nextAge));
                var plan = Enumerable.Range(0, random.Next(1, 5))
                    .Select(_ => ($"k{random.Next(Keys)}", random.Next(3) == 0 ? LockMode.Exclusive : LockMode.Shared))
                    .ToList();
                while (true)
                {
                    // Deadlines only matter if wound-wait fails: a deadlock surfaces as lock_timeout.
                    var owner = new LockOwner(id, DateTimeOffset.UtcNow.AddSeconds(20));
                    try
                    {
                        foreach (var (key, mode) in plan)
                        {
                            await locks.AcquireAsync(owner, key, mode, stop.Token);
                            tracker.Granted(owner, key, mode);
                            await Task.Yield();
                        }

                        if (locks.TryMarkPrepared(owner))
                        {
                            await Task.Yield();
                            tracker.Released(owner);
                            locks.ReleaseAll(owner);
                            Interlocked.Increment(ref committed);
                            break;
                        }
                    }
                    catch (CohortException e) when (e.Code == ErrorCodes.Wounded)
                    {
                    }
                    catch (Exception e)
                    {
                        // Stop everyone at the first real failure rather than letting the rest time out too.
                        lock (failures)
                        {
                            failures.Add(e);
                        }

                        tracker.Released(owner);
                        locks.ReleaseAll(owner);
                        await stop.CancelAsync();
                        return;
                    }

                    tracker.Released(owner);
                    locks.ReleaseAll(owner);
                }
            }
        })).ToList();

        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(150));

        var first = failures.FirstOrDefault(f => f is not OperationCanceledException) ?? failures.FirstOrDefault();
        Assert.True(first is null, $"seed {Seed}: a worker failed: {first?.GetType().Name}: {first?.Message}");
        Assert.True(tracker.Violations.Count == 0, $"seed {Seed}: conflicting grants: {string.Join("; ", tracker.Violations.Take(5))}");
        Assert.Equal(Workers * TransactionsPerWorker, committed);
        Assert.Equal(0, locks.LockedKeyCount);
    }

    private LockOwner Owner(int age, DateTimeOffset? deadline = null) => new(Id(age), deadline ?? Start.AddHours(1));

    private Task Acquire(LockOwner owner, string key, LockMode mode) =>
        _locks.AcquireAsync(owner, key, mode, CancellationToken.None).AsTask();

    // Smaller age = older transaction.
    private static TxId Id(long age) => new(((ulong)age << 16) | 0x7000, 0x8000_0000_0000_0000UL);

    // Records which owner holds what, as the owners themselves see it, and flags any grant that
    // conflicts with a live holder. A wounded owner lost its locks inside the manager before the
    // wounder was granted, so wounded owners are ignored on both sides of the check.
    private sealed class GrantTracker
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<string, Dictionary<LockOwner, LockMode>> _holders = [];

        public List<string> Violations { get; } = [];

        public void Granted(LockOwner owner, string key, LockMode mode)
        {
            lock (_gate)
            {
                if (!_holders.TryGetValue(key, out var holders))
                {
                    holders = [];
                    _holders[key] = holders;
                }

                if (!owner.IsWounded)
                {
                    foreach (var (other, held) in holders)
                    {
                        if (other != owner && !other.IsWounded && (held == LockMode.Exclusive || mode == LockMode.Exclusive))
                        {
                            Violations.Add($"{owner.Id} got {mode} on {key} while {other.Id} held {held}");
                        }
                    }
                }

                holders[owner] = holders.TryGetValue(owner, out var had) && had > mode ? had : mode;
            }
        }

        public void Released(LockOwner owner)
        {
            lock (_gate)
            {
                foreach (var holders in _holders.Values)
                {
                    holders.Remove(owner);
                }
            }
        }
    }
}
