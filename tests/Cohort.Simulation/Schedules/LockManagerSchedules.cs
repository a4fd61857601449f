using Cohort.Simulation.Runtime;
using Cohort.Storage.Locking;

namespace Cohort.Simulation.Schedules;

/// <summary>
/// The lock manager under thousands of interleavings: owners of different ages take shared and exclusive locks on a
/// few keys, older ones wound younger ones, some prepare (and may then not be wounded), all release. At every step no
/// two live owners may hold conflicting locks, a prepared owner is never wounded, and every owner finishes (no
/// deadlock, no lost wake-up).
/// </summary>
public sealed class LockManagerSchedules
{
    private static readonly string[] Keys = ["x", "y", "z"];

    [Fact]
    public void LockManager_KeepsMutualExclusionAndWoundWait_InEveryExploredSchedule()
    {
        var failures = Schedules.Explore(2_000, ScenarioAsync);
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(5)));
    }

    private static async Task<string?> ScenarioAsync(SimLoop loop)
    {
        var random = loop.Random;
        var wounded = new HashSet<LockOwner>();
        var manager = new LockManager(owner => wounded.Add(owner), loop.Clock);
        var owners = new List<Owner>();
        var count = random.Next(2, 6);
        for (var i = 0; i < count; i++)
        {
            owners.Add(new Owner(new LockOwner(TxId.NewId(loop.Clock), loop.Clock.GetUtcNow() + TimeSpan.FromMilliseconds(random.Next(5, 60)))));
        }

        loop.AfterStep = () => CheckExclusion(owners);
        var runs = owners.Select(o => RunOwnerAsync(loop, manager, o, random.Next(1, 4))).ToList();
        await Task.WhenAll(runs).ConfigureAwait(false);
        loop.AfterStep = null;
        foreach (var owner in owners)
        {
            if (owner.Prepared && owner.Lock.IsWounded)
            {
                return $"{owner.Lock.Id} was wounded after it prepared";
            }
        }

        return manager.LockedKeyCount == 0 ? null : $"{manager.LockedKeyCount} keys still locked after every owner released";
    }

    private static async Task RunOwnerAsync(SimLoop loop, LockManager manager, Owner owner, int operations)
    {
        var random = loop.Random;
        await Task.Delay(TimeSpan.FromTicks(random.Next(0, 20_000)), loop.Clock).ConfigureAwait(false);
        try
        {
            for (var i = 0; i < operations; i++)
            {
                var key = Keys[random.Next(Keys.Length)];
                var mode = random.Next(2) == 0 ? LockMode.Shared : LockMode.Exclusive;
                await manager.AcquireAsync(owner.Lock, key, mode, CancellationToken.None).ConfigureAwait(false);
                if (!owner.Lock.IsWounded)
                {
                    owner.Believed[key] = owner.Believed.TryGetValue(key, out var had) && had > mode ? had : mode;
                }

                await Task.Delay(TimeSpan.FromTicks(random.Next(0, 10_000)), loop.Clock).ConfigureAwait(false);
            }

            if (random.Next(3) == 0 && manager.TryMarkPrepared(owner.Lock))
            {
                owner.Prepared = true;
                await Task.Delay(TimeSpan.FromTicks(random.Next(0, 10_000)), loop.Clock).ConfigureAwait(false);
            }
        }
        catch (CohortException)
        {
            // Wounded or timed out: the transaction aborts.
        }

        owner.Released = true;
        manager.ReleaseAll(owner.Lock);
    }

    private static void CheckExclusion(List<Owner> owners)
    {
        var live = owners.Where(o => !o.Released && !o.Lock.IsWounded).ToList();
        foreach (var key in Keys)
        {
            var holders = live.Where(o => o.Believed.ContainsKey(key)).ToList();
            if (holders.Count > 1 && holders.Any(o => o.Believed[key] == LockMode.Exclusive))
            {
                throw new ScheduleViolation($"conflicting holders of '{key}': {string.Join(", ", holders.Select(h => $"{h.Lock.Id} {h.Believed[key]}"))}");
            }
        }
    }

    private sealed class Owner(LockOwner owner)
    {
        public LockOwner Lock { get; } = owner;

        public Dictionary<string, LockMode> Believed { get; } = [];

        public bool Prepared { get; set; }

        public bool Released { get; set; }
    }
}
