namespace Cohort.Simulation.Cluster;

/// <summary>
/// The faults of a run, planned from the seed: processes crashed and restarted after a while, links between the
/// coordinator and a node cut and healed. (Message loss, duplication and delay are the network's; fsync failures and
/// torn writes the disks'.)
/// </summary>
internal sealed class SimNemesis(SimCluster cluster)
{
    /// <summary>Coordinator pauses so far.</summary>
    public int Pauses { get; private set; }

    /// <summary>Faults begun and not yet undone.</summary>
    public int Pending { get; private set; }

    /// <summary>Whether faults are being injected (between the setup and the heal).</summary>
    public bool Active { get; private set; }

    /// <summary>Ends the fault window: no more crashes at message deliveries.</summary>
    public void Stop() => Active = false;

    /// <summary>
    /// Called after <paramref name="machine"/> handled a message, before its reply leaves: sometimes it crashes right
    /// there (the window where a participant has acted but the coordinator does not know). True when it crashed.
    /// </summary>
    public bool MaybeCrashAfterHandling(Machine machine)
    {
        var loop = cluster.Loop;
        if (!Active || !cluster.Config.Crashes || loop.Random.NextDouble() >= cluster.Config.CrashAfterMessageRate || machine.Process is null)
        {
            return false;
        }

        Pending++;
        machine.Crash();
        loop.After(TimeSpan.FromMilliseconds(loop.Random.Next(2, 40)), null, () =>
        {
            machine.Start();
            Pending--;
        });
        return true;
    }

    public void Plan(TimeSpan window)
    {
        Active = true;
        var loop = cluster.Loop;
        var random = loop.Random;
        var machines = cluster.Machines.ToList();
        var crashes = cluster.Config.Crashes ? random.Next(0, 4) : 0;
        for (var i = 0; i < crashes; i++)
        {
            var machine = machines[random.Next(machines.Count)];
            var at = TimeSpan.FromTicks(random.NextInt64(window.Ticks));
            var down = TimeSpan.FromMilliseconds(random.Next(2, 60));
            Pending++;
            loop.After(at, null, () =>
            {
                if (machine.Process is null)
                {
                    Pending--;
                    return;
                }

                machine.Crash();
                loop.After(down, null, () =>
                {
                    machine.Start();
                    Pending--;
                });
            });
        }

        var cuts = cluster.Config.Partitions ? random.Next(0, 3) : 0;
        for (var i = 0; i < cuts; i++)
        {
            // A coordinator loses a node, or (with etcd) etcd itself.
            var coordinator = cluster.Coordinators[random.Next(cluster.Coordinators.Count)].Name;
            var other = cluster.SharedLog && random.Next(3) == 0 ? "etcd" : cluster.Nodes[random.Next(cluster.Nodes.Count)].Name;
            var at = TimeSpan.FromTicks(random.NextInt64(window.Ticks));
            var length = TimeSpan.FromMilliseconds(random.Next(5, 150));
            Pending++;
            loop.After(at, null, () =>
            {
                cluster.Net.Cut(coordinator, other);
                loop.After(length, null, () =>
                {
                    cluster.Net.Heal(coordinator, other);
                    Pending--;
                });
            });
        }

        // With etcd, a coordinator may be paused (SIGSTOP) past its lease: another leads meanwhile, and when it resumes
        // whatever it was doing runs late, with a stale idea of its leadership.
        var pauses = cluster.SharedLog && cluster.Config.Crashes ? random.Next(0, 3) : 0;
        for (var i = 0; i < pauses; i++)
        {
            var machine = cluster.Coordinators[random.Next(cluster.Coordinators.Count)];
            var at = TimeSpan.FromTicks(random.NextInt64(window.Ticks));
            var length = TimeSpan.FromMilliseconds(random.Next(20, 300));
            Pending++;
            loop.After(at, null, () =>
            {
                if (machine.Process is { Paused: false } process)
                {
                    cluster.Trace($"pause {process} for {length.TotalMilliseconds} ms");
                    loop.Pause(process, length);
                    Pauses++;
                }

                loop.After(length, null, () => Pending--);
            });
        }
    }
}
