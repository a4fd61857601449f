using Cohort.Simulation.Cluster;
using Cohort.Simulation.Runtime;
using Cohort.Simulation.Workload;

namespace Cohort.Simulation;

/// <summary>What one seed's run gave: its trace hash, the checker's findings, and counts of what happened.</summary>
internal sealed record SimResult(int Seed, ulong TraceHash, IReadOnlyList<string> Violations, SimStats Stats, IReadOnlyList<string> Trace)
{
    public bool Passed => Violations.Count == 0;
}

internal sealed record SimStats(
    int Transactions, int Committed, int Aborted, int InDoubt, int NoAnswer, int NotCommitted,
    int Crashes, int MessagesSent, int MessagesLost, int Duplicated, long Steps, long Events, TimeSpan VirtualTime, string Disk);

/// <summary>
/// Runs one seed: start the cluster, set up on a healthy network, run the clients while the nemesis crashes processes,
/// cuts links and fails fsyncs, then heal, settle, crash everything once more (unsynced writes are lost), restart from
/// the disks, settle again and check.
/// </summary>
internal static class SimRun
{
    private static readonly TimeSpan FaultWindow = TimeSpan.FromMilliseconds(300);

    /// <summary>Runs the seed on a fresh thread (see <see cref="SimThread"/>).</summary>
    public static SimResult Execute(SimConfig config) => SimThread.Run(() => ExecuteHere(config));

    /// <summary>Runs the seed on the calling thread, which must have no synchronization context.</summary>
    public static SimResult ExecuteHere(SimConfig config)
    {
        var trace = new SimTrace(config.KeepTrace);
        var loop = new SimLoop(config.Seed, trace);
        loop.Plant(config.Bug);
        var cluster = new SimCluster(loop, config);
        Task<List<string>>? drive = null;
        var stop = loop.Run(() =>
        {
            drive ??= DriveAsync(cluster);
            return drive.IsCompleted;
        }, maxSteps: 5_000_000, maxTime: TimeSpan.FromMinutes(5));

        var violations = new List<string>();
        if (stop != SimStop.Done)
        {
            violations.Add($"the run did not finish ({stop} after {loop.Steps} steps, {TimeSpan.FromTicks(loop.Now).TotalSeconds:F1} s of virtual time)");
        }
        else if (drive!.IsFaulted)
        {
            violations.Add($"the run failed: {drive.Exception!.InnerException}");
        }
        else
        {
            violations.AddRange(drive.Result);
        }

        var txs = cluster.Workload.Transactions;
        var stats = new SimStats(
            txs.Count,
            txs.Count(t => t.Told == Told.Committed),
            txs.Count(t => t.Told == Told.Aborted),
            txs.Count(t => t.Told == Told.InDoubt),
            txs.Count(t => t.Told == Told.NoAnswer),
            txs.Count(t => t.Told == Told.NotCommitted),
            cluster.Machines.Sum(m => m.Crashes),
            cluster.Net.Sent,
            cluster.Net.Lost,
            cluster.Net.Duplicated,
            loop.Steps,
            trace.Events,
            TimeSpan.FromTicks(loop.Now),
            string.Join("; ", cluster.Machines.Select(m => $"{m.Name}: {m.DiskSummary}")));
        return new SimResult(config.Seed, trace.Hash, violations, stats, trace.Lines);
    }

    private static async Task<List<string>> DriveAsync(SimCluster cluster)
    {
        var loop = cluster.Loop;
        var config = cluster.Config;
        SetDiskFaults(cluster, on: false);
        cluster.Net.Faulty = false;
        cluster.StartAll();
        cluster.Workload.Plan();
        await cluster.Workload.SetupAsync().ConfigureAwait(false);

        cluster.Trace("faults on");
        cluster.Net.Faulty = true;
        SetDiskFaults(cluster, on: true);
        var nemesis = cluster.Nemesis;
        nemesis.Plan(FaultWindow);
        for (var c = 0; c < config.Clients; c++)
        {
            var client = c;
            loop.Post(new SimProcess($"client{client}", 1), () => _ = cluster.Workload.RunClientAsync(client));
        }

        var problems = new List<string>();
        var clientsDeadline = loop.Now + TimeSpan.FromSeconds(60).Ticks;
        while (cluster.Workload.ClientsDone < config.Clients || nemesis.Pending > 0)
        {
            if (loop.Now > clientsDeadline)
            {
                problems.Add($"clients stuck: {cluster.Workload.ClientsDone} of {config.Clients} done after 60 s");
                return problems;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(5), loop.Clock).ConfigureAwait(false);
        }

        cluster.Trace("faults off");
        nemesis.Stop();
        cluster.Net.Faulty = false;
        cluster.Net.HealAll();
        SetDiskFaults(cluster, on: false);
        foreach (var machine in cluster.Machines.Where(m => m.Process is null))
        {
            machine.Start();
        }

        if (await SettleAsync(cluster, endsDone: false).ConfigureAwait(false) is { } stuck)
        {
            // Still check what the data says: a stuck transaction is often a split one.
            problems.Add($"still in doubt once everything was back: {stuck}");
            problems.AddRange((await SimChecker.CheckAsync(cluster).ConfigureAwait(false)).Where(p => !p.StartsWith("the coordinator has", StringComparison.Ordinal)));
            return problems;
        }

        // Durability: every process dies at once (what was not fsynced is gone) and restarts from its disk.
        cluster.Trace("crash everything");
        foreach (var machine in cluster.Machines)
        {
            machine.Crash();
        }

        foreach (var machine in cluster.Machines)
        {
            machine.Start();
        }

        if (await SettleAsync(cluster, endsDone: true).ConfigureAwait(false) is { } after)
        {
            problems.Add($"in doubt after the final restart: {after}");
            return problems;
        }

        problems.AddRange(await SimChecker.CheckAsync(cluster).ConfigureAwait(false));
        return problems;
    }

    private static void SetDiskFaults(SimCluster cluster, bool on)
    {
        foreach (var machine in cluster.Machines)
        {
            machine.Disk.FsyncFailureProbability = on ? cluster.Config.FsyncFailureRate : 0;
        }
    }

    // Drives recovery until nothing is in doubt; returns what is still stuck after 30 s of virtual time.
    private static async Task<string?> SettleAsync(SimCluster cluster, bool endsDone)
    {
        var loop = cluster.Loop;
        var deadline = loop.Now + TimeSpan.FromSeconds(30).Ticks;
        while (true)
        {
            if (cluster.Machines.All(m => m.Serving))
            {
                foreach (var node in cluster.Nodes)
                {
                    if (node is { Host: { } host, Process: { } process })
                    {
                        await Ignore(loop.Call(process, () => host.ResolvePreparedAsync(all: true, CancellationToken.None))).ConfigureAwait(false);
                    }
                }

                var stuck = SimChecker.InDoubt(cluster, endsDone);
                if (stuck.Count == 0)
                {
                    return null;
                }

                if (loop.Now > deadline)
                {
                    return string.Join("; ", stuck);
                }
            }
            else if (loop.Now > deadline)
            {
                return "not every process came back: " + string.Join(", ", cluster.Machines.Where(m => !m.Serving).Select(m => m.Name));
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), loop.Clock).ConfigureAwait(false);
        }
    }

    private static async Task Ignore(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception e) when (e is CohortException or IOException or OperationCanceledException)
        {
            // Settling retries.
        }
    }
}
