using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace Cohort.Simulation;

/// <summary>
/// The deterministic simulation's CI gate: many seeds, each a whole cluster run on one thread in virtual time, every
/// run checked. <c>COHORT_SIM_SEEDS=&lt;n&gt;</c> changes how many run (soak), <c>COHORT_SIM_SEED=&lt;n&gt;</c> replays
/// one seed exactly and prints its trace.
/// </summary>
public sealed class SimulationTests(ITestOutputHelper output)
{
    [Fact]
    public void Seeds_KeepEveryTransactionAtomicDurableAndSettled()
    {
        if (SimSeeds.Replay is { } replay)
        {
            var result = SimRun.Execute(new Cluster.SimConfig(replay) { KeepTrace = true });
            foreach (var line in result.Trace)
            {
                output.WriteLine(line);
            }

            output.WriteLine(SimSeeds.Describe(result));
            Assert.True(result.Passed, string.Join("\n", result.Violations));
            return;
        }

        var report = SimSeeds.RunMany(SimSeeds.Count(defaultCount: 10_000), seed => new Cluster.SimConfig(seed));
        output.WriteLine(report.Summary);
        Assert.True(report.Failures.Count == 0, report.FailureText);
        report.AssertExercised();
    }

    [Fact]
    public void SameSeed_GivesTheSameTrace()
    {
        var first = new List<ulong>();
        var second = new List<ulong>();
        for (var seed = 1; seed <= 100; seed++)
        {
            first.Add(SimRun.Execute(new Cluster.SimConfig(seed)).TraceHash);
        }

        for (var seed = 1; seed <= 100; seed++)
        {
            second.Add(SimRun.Execute(new Cluster.SimConfig(seed)).TraceHash);
        }

        var differing = Enumerable.Range(0, 100).Where(i => first[i] != second[i]).Select(i => i + 1).ToList();
        Assert.True(differing.Count == 0, $"seeds whose two runs differ: {string.Join(", ", differing)} (replay one with COHORT_SIM_SEED=<seed> to see its trace)");
        Assert.True(first.Distinct().Count() > 90, "different seeds should give different runs");
    }
}
