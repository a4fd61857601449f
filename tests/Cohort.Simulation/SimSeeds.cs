using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Cohort.Simulation.Cluster;

namespace Cohort.Simulation;

/// <summary>Runs many seeds on every core and summarises them.</summary>
internal static class SimSeeds
{
    /// <summary>The seed to replay (COHORT_SIM_SEED), if any.</summary>
    public static int? Replay =>
        int.TryParse(Environment.GetEnvironmentVariable("COHORT_SIM_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed) ? seed : null;

    /// <summary>How many seeds to run: COHORT_SIM_SEEDS, or <paramref name="defaultCount"/>.</summary>
    public static int Count(int defaultCount) =>
        int.TryParse(Environment.GetEnvironmentVariable("COHORT_SIM_SEEDS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : defaultCount;

    /// <summary>Threads running seeds at once: COHORT_SIM_THREADS, else one per core. Each seed runs on a fresh thread.</summary>
    public static int Threads =>
        int.TryParse(Environment.GetEnvironmentVariable("COHORT_SIM_THREADS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : Environment.ProcessorCount;

    /// <summary>The one-line command that replays <paramref name="seed"/> and prints its trace.</summary>
    public static string ReplayCommand(int seed, string test = "SimulationTests.Seeds_KeepEveryTransactionAtomicDurableAndSettled") =>
        $"COHORT_SIM_SEED={seed} dotnet test tests/Cohort.Simulation -c Release --filter \"FullyQualifiedName~{test}\" --logger \"console;verbosity=detailed\"";

    public static string Describe(SimResult r) => string.Create(CultureInfo.InvariantCulture,
        $"seed {r.Seed}: trace {r.TraceHash:x16}, {r.Stats.Events} events, {r.Stats.Steps} steps, {r.Stats.VirtualTime.TotalMilliseconds:F0} ms virtual; "
        + $"{r.Stats.Transactions} tx: {r.Stats.Committed} committed, {r.Stats.Aborted} aborted, {r.Stats.InDoubt} in doubt, {r.Stats.NoAnswer} no answer, {r.Stats.NotCommitted} not committed; "
        + $"{r.Stats.Crashes} crashes; messages {r.Stats.MessagesSent} sent, {r.Stats.MessagesLost} lost, {r.Stats.Duplicated} duplicated; disks: {r.Stats.Disk}");

    public static SeedReport RunMany(int count, Func<int, SimConfig> configOf, int firstSeed = 1)
    {
        var failures = new ConcurrentBag<SimResult>();
        var results = new ConcurrentBag<SimStats>();
        var watch = Stopwatch.StartNew();
        var next = firstSeed - 1;
        var last = firstSeed + count - 1;
        var threads = Enumerable.Range(0, Threads).Select(_ => new Thread(() =>
        {
            int seed;
            while ((seed = Interlocked.Increment(ref next)) <= last)
            {
                // A fresh thread per seed: every run starts from the same thread state, as a replay does.
                var result = SimRun.Execute(configOf(seed));
                results.Add(result.Stats);
                if (!result.Passed)
                {
                    failures.Add(result);
                }
            }
        }, maxStackSize: 16 * 1024 * 1024)).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        return new SeedReport(count, [.. results], [.. failures.OrderBy(f => f.Seed)], watch.Elapsed);
    }
}

internal sealed record SeedReport(int Count, IReadOnlyList<SimStats> Stats, IReadOnlyList<SimResult> Failures, TimeSpan Elapsed)
{
    public string Summary => string.Create(CultureInfo.InvariantCulture,
        $"{Count} seeds in {Elapsed.TotalSeconds:F1} s ({Elapsed.TotalMilliseconds / Math.Max(1, Count):F1} ms each): {Stats.Sum(s => s.Transactions)} transactions, "
        + $"{Stats.Sum(s => s.Committed)} told committed, {Stats.Sum(s => s.Aborted)} aborted, {Stats.Sum(s => s.InDoubt)} in doubt, {Stats.Sum(s => s.NoAnswer)} no answer, {Stats.Sum(s => s.NotCommitted)} not committed; "
        + $"{Stats.Sum(s => s.Crashes)} crashes; {Stats.Sum(s => (long)s.MessagesSent)} messages, {Stats.Sum(s => (long)s.MessagesLost)} lost, {Stats.Sum(s => (long)s.Duplicated)} duplicated; "
        + $"{Stats.Sum(s => s.Steps)} steps, {Stats.Sum(s => s.VirtualTime.TotalSeconds):F0} s of virtual time; {Failures.Count} failed");

    public string FailureText => $"{Failures.Count} of {Count} seeds failed; replay the first with:\n  {SimSeeds.ReplayCommand(Failures.FirstOrDefault()?.Seed ?? 0)}\n"
        + string.Join("\n", Failures.Take(5).Select(f => $"seed {f.Seed}: {string.Join("; ", f.Violations.Take(3))}"));

    /// <summary>The runs must have exercised commits, aborts, crashes and faults, or they prove nothing.</summary>
    public void AssertExercised()
    {
        if (Count < 50)
        {
            return;
        }

        Assert.True(Stats.Sum(s => s.Committed) > 0, "no transaction committed");
        Assert.True(Stats.Sum(s => s.Aborted + s.NotCommitted) > 0, "no transaction aborted");
        Assert.True(Stats.Sum(s => s.Crashes) > 0, "no process crashed");
        Assert.True(Stats.Sum(s => s.MessagesLost) > 0 && Stats.Sum(s => s.Duplicated) > 0, "the network never misbehaved");
    }
}
