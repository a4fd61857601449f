using Cohort.Storage.Locking;

namespace Cohort.Tests.Storage.Locking;

/// <summary>Range (predicate) locks of <see cref="LockManager"/>: overlap conflicts, coverage, wound-wait, release and deadlines.</summary>
public sealed class RangeLockTests
{
    private const string Space = "rows:t";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset Start = new(2026, 5, 21, 12, 0, 0, TimeSpan.Zero);
    private static readonly IComparer<object> Ints = Comparer<object>.Create((a, b) => ((int)a!).CompareTo((int)b!));
    private readonly FakeTimeProvider _time = new(Start);
    private readonly List<LockOwner> _wounded = [];
    private readonly LockManager _locks;

    public RangeLockTests()
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
    public async Task Acquire_OverlappingSharedAndExclusiveOfDifferentOwners_YoungerWaitsUntilOlderReleases()
    {
        var older = Owner(1);
        var younger = Owner(2);
        await Range(older, 0, 10, LockMode.Shared);

        var wait = Range(younger, 9, 12, LockMode.Exclusive);

        Assert.False(wait.IsCompleted);
        Assert.Empty(_wounded);
        _locks.ReleaseAll(older);
        await wait.WaitAsync(Deadline);
        Assert.Equal(1, _locks.HeldRangeCount(younger));
    }

    [Fact]
    public void Acquire_OverlappingSharedRanges_AreGrantedToAll()
    {
        Assert.True(Range(Owner(2), 0, 10, LockMode.Shared).IsCompletedSuccessfully);
        Assert.True(Range(Owner(1), 5, 15, LockMode.Shared).IsCompletedSuccessfully);
        Assert.Empty(_wounded);
    }

    [Fact]
    public void Acquire_DisjointOrAdjacentExclusiveRanges_DoNotConflict()
    {
        var a = Owner(2);
        var b = Owner(1);
        var c = Owner(3);
        Assert.True(Range(a, 0, 5, LockMode.Exclusive).IsCompletedSuccessfully);

        // [5, 10) starts where [0, 5) ends: half-open ranges that touch share no key.
        Assert.True(Range(b, 5, 10, LockMode.Exclusive).IsCompletedSuccessfully);
        Assert.True(Range(c, 20, 30, LockMode.Exclusive).IsCompletedSuccessfully);
        Assert.Empty(_wounded);
        Assert.Equal(1, _locks.HeldRangeCount(a));
    }

    [Fact]
    public async Task Acquire_RangeCoveredByOwnHolding_IsFreeAndAddsNoHolding()
    {
        var owner = Owner(1);
        await Range(owner, 0, 10, LockMode.Exclusive);

        Assert.True(Range(owner, 2, 4, LockMode.Shared).IsCompletedSuccessfully);
        Assert.True(Range(owner, 0, 10, LockMode.Exclusive).IsCompletedSuccessfully);
        Assert.Equal(1, _locks.HeldRangeCount(owner));

        // A shared holding does not cover an exclusive request, nor a range reaching past it.
        var other = Owner(2);
        await Range(other, 50, 60, LockMode.Shared);
        await Range(other, 52, 53, LockMode.Exclusive);
        await Range(other, 55, 65, LockMode.Shared);
        Assert.Equal(3, _locks.HeldRangeCount(other));
    }

    [Fact]
    public void Acquire_CoveredByAWiderOrContainingHoldingAmongMany_IsFree()
    {
        var owner = Owner(1);
        for (var k = 0; k < 1000; k += 10)
        {
            Assert.True(Range(owner, k, k + 1, LockMode.Exclusive).IsCompletedSuccessfully);
        }

        // A wider exclusive range swallows the points inside it for coverage; the points stay held.
        Assert.True(Range(owner, 195, 505, LockMode.Exclusive).IsCompletedSuccessfully);
        Assert.True(Range(owner, 300, 301, LockMode.Exclusive).IsCompletedSuccessfully);
        Assert.True(Range(owner, 195, 505, LockMode.Shared).IsCompletedSuccessfully);
        Assert.True(Range(owner, 990, 991, LockMode.Shared).IsCompletedSuccessfully);
        Assert.Equal(101, _locks.HeldRangeCount(owner));

        // Not covered: straddling the wide range's end, or between two points.
        Assert.True(Range(owner, 500, 510, LockMode.Exclusive).IsCompletedSuccessfully);
        Assert.True(Range(owner, 991, 992, LockMode.Shared).IsCompletedSuccessfully);
        Assert.Equal(103, _locks.HeldRangeCount(owner));

        // Shared holdings cover shared requests only.
        Assert.True(Range(owner, 2000, 3000, LockMode.Shared).IsCompletedSuccessfully);
        Assert.True(Range(owner, 2500, 2600, LockMode.Shared).IsCompletedSuccessfully);
        Assert.True(Range(owner, 2500, 2501, LockMode.Exclusive).IsCompletedSuccessfully);
        Assert.Equal(105, _locks.HeldRangeCount(owner));

        _locks.ReleaseAll(owner);
        Assert.Equal(0, _locks.LockedSpaceCount);
    }

    [Fact]
    public async Task Acquire_OlderConflictingWithYoungerRangeHolder_WoundsItAndIsGrantedAtOnce()
    {
        var older = Owner(1);
        var younger = Owner(2);
        await Range(younger, 0, 10, LockMode.Shared);

        var grant = Range(older, 5, 6, LockMode.Exclusive);

        Assert.True(grant.IsCompletedSuccessfully);
        Assert.Equal([younger], _wounded);
        Assert.Equal(older.Id, younger.WoundedBy);
        Assert.Equal(0, _locks.HeldRangeCount(younger));
        var e = await Assert.ThrowsAsync<CohortException>(() => Range(younger, 100, 101, LockMode.Shared));
        Assert.Equal(ErrorCodes.Wounded, e.Code);
        await grant;
    }

    [Fact]
    public async Task Wound_ReleasesTheVictimsKeyAndRangeLocks_AndGrantsItsWaiters()
    {
        var oldest = Owner(1);
        var middle = Owner(2);
        var youngest = Owner(3);
        await _locks.AcquireAsync(youngest, "catalog:t", LockMode.Exclusive, CancellationToken.None);
        await Range(youngest, 0, 10, LockMode.Exclusive);
        await Range(youngest, 20, 30, LockMode.Shared);
        var waitingOnKey = _locks.AcquireAsync(Owner(4), "catalog:t", LockMode.Shared, CancellationToken.None).AsTask();
        Assert.False(waitingOnKey.IsCompleted);

        // The middle transaction waits for the range the oldest then takes from the youngest.
        await Range(oldest, 5, 6, LockMode.Exclusive);
        Assert.Equal([youngest], _wounded);
        Assert.Null(_locks.HeldMode(youngest, "catalog:t"));
        Assert.Equal(0, _locks.HeldRangeCount(youngest));
        await waitingOnKey.WaitAsync(Deadline);
        Assert.True(Range(middle, 20, 30, LockMode.Exclusive).IsCompletedSuccessfully);

        _locks.ReleaseAll(oldest);
        _locks.ReleaseAll(middle);
        Assert.Equal(0, _locks.LockedSpaceCount);
    }

    [Fact]
    public async Task Acquire_ConflictingWithPreparedYoungerRangeHolder_WaitsWithoutWounding()
    {
        var older = Owner(1);
        var younger = Owner(2);
        await Range(younger, 0, 10, LockMode.Exclusive);
        Assert.True(_locks.TryMarkPrepared(younger));

        var wait = Range(older, 3, 4, LockMode.Shared);

        Assert.False(wait.IsCompleted);
        Assert.Empty(_wounded);
        _locks.ReleaseAll(younger);
        await wait.WaitAsync(Deadline);
    }

    [Fact]
    public async Task Release_GrantsEveryWaiterWhoseRangeIsFree_NotOnlyTheFirst()
    {
        var holder = Owner(1);
        await Range(holder, 0, 100, LockMode.Exclusive);
        var second = Range(Owner(2), 0, 10, LockMode.Exclusive);
        var third = Range(Owner(3), 5, 15, LockMode.Exclusive);
        var fourth = Range(Owner(4), 50, 60, LockMode.Exclusive);

        _locks.ReleaseAll(holder);

        await second.WaitAsync(Deadline);
        await fourth.WaitAsync(Deadline);
        Assert.False(third.IsCompleted);
    }

    [Fact]
    public async Task Acquire_YoungerCompatibleWithHoldersButBehindAnOlderConflictingWaiter_DoesNotOvertake()
    {
        var holder = Owner(1);
        var olderWaiter = Owner(2);
        var younger = Owner(3);
        await Range(holder, 0, 10, LockMode.Shared);
        var exclusive = Range(olderWaiter, 0, 10, LockMode.Exclusive);

        var shared = Range(younger, 5, 6, LockMode.Shared);

        Assert.False(shared.IsCompleted);
        _locks.ReleaseAll(holder);
        await exclusive.WaitAsync(Deadline);
        Assert.False(shared.IsCompleted);
        _locks.ReleaseAll(olderWaiter);
        await shared.WaitAsync(Deadline);
    }

    [Fact]
    public async Task Acquire_RangeNotGrantedByDeadline_FailsWithLockTimeoutAndLeavesTheQueue()
    {
        var holder = Owner(1);
        var waiter = Owner(2, Start.AddSeconds(5));
        await Range(holder, 0, 10, LockMode.Exclusive);
        await Range(waiter, 20, 30, LockMode.Exclusive);

        var wait = Range(waiter, 5, 25, LockMode.Shared);
        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(wait.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(2));

        var e = await Assert.ThrowsAsync<CohortException>(() => wait.WaitAsync(Deadline));
        Assert.Equal(ErrorCodes.LockTimeout, e.Code);
        Assert.Equal(1, _locks.HeldRangeCount(waiter));

        // Nobody is queued any more: once both release, the space is gone.
        _locks.ReleaseAll(holder);
        Assert.Equal(1, _locks.HeldRangeCount(waiter));
        _locks.ReleaseAll(waiter);
        Assert.Equal(0, _locks.LockedSpaceCount);
    }

    [Fact]
    public async Task ReleaseAll_OnRangeWaiter_FailsItsWaitWithAborted()
    {
        var holder = Owner(1);
        var waiter = Owner(2);
        await Range(holder, 0, 10, LockMode.Exclusive);
        var wait = Range(waiter, 0, 1, LockMode.Shared);

        _locks.ReleaseAll(waiter);

        var e = await Assert.ThrowsAsync<CohortException>(() => wait.WaitAsync(Deadline));
        Assert.Equal(ErrorCodes.Aborted, e.Code);
        _locks.ReleaseAll(holder);
        Assert.Equal(0, _locks.LockedSpaceCount);
    }

    [Fact]
    public void AcquireRangeRecovered_TakesExclusiveAndMarksPrepared_AndRefusesAConflict()
    {
        var recovered = Owner(2);
        _locks.AcquireRangeRecovered(recovered, Space, new LockRange(0, 1), Ints);

        // Prepared: an older transaction waits instead of wounding it.
        var wait = Range(Owner(1), 0, 5, LockMode.Shared);
        Assert.False(wait.IsCompleted);
        Assert.Empty(_wounded);
        Assert.Throws<InvalidOperationException>(() => _locks.AcquireRangeRecovered(Owner(4), Space, new LockRange(0, 1), Ints));
    }

    private Task Range(LockOwner owner, int low, int high, LockMode mode) =>
        _locks.AcquireRangeAsync(owner, Space, new LockRange(low, high), mode, Ints, CancellationToken.None).AsTask();

    private LockOwner Owner(int age, DateTimeOffset? deadline = null) => new(Id(age), deadline ?? Start.AddHours(1));

    // Smaller age = older transaction.
    private static TxId Id(long age) => new(((ulong)age << 16) | 0x7000, 0x8000_0000_0000_0000UL);
}
