using System.Globalization;
using Cohort.Core.Execution;
using Xunit.Abstractions;

namespace Cohort.Simulation;

/// <summary>
/// Mutation checks of the simulation: each bug planted in the real protocol code is caught by the seed recorded here,
/// one of the seeds every CI run covers — and the same seed passes without the bug. A checker that missed these would
/// pass a broken protocol.
/// </summary>
/// <remarks>
/// The recorded seeds depend on everything a run draws from its seed; after a change to the simulation or the workload,
/// find new ones with <c>COHORT_SIM_SEARCH=&lt;seeds&gt;</c> (the test then searches that many seeds for each bug and
/// prints the ones that catch it instead of checking the recorded one).
/// </remarks>
public sealed class PlantedBugTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(PlantedBug.DecisionNotDurable, 52)]
    [InlineData(PlantedBug.VoteBeforeDurable, 6)]
    [InlineData(PlantedBug.PhaseTwoNotRetried, 114)]
    [InlineData(PlantedBug.ReadOnlyReleasesAtPrepare, 526)]
    [InlineData(PlantedBug.DeposedLeaderWrites, 435)]
    public void PlantedBug_IsCaughtByItsRecordedSeed(PlantedBug bug, int seed)
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("COHORT_SIM_SEARCH"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var search) && search > 0)
        {
            var report = SimSeeds.RunMany(search, s => new Cluster.SimConfig(s) { Bug = bug });
            var caught = report.Failures.Where(f => f.Violations.Any(v => !v.StartsWith("escaped the simulation", StringComparison.Ordinal))).ToList();
            output.WriteLine($"{bug}: {caught.Count} of {search} seeds caught it: {string.Join(", ", caught.Take(20).Select(f => f.Seed.ToString(CultureInfo.InvariantCulture)))}");
            Assert.NotEmpty(caught);
            return;
        }

        var planted = SimRun.Execute(new Cluster.SimConfig(seed) { Bug = bug });
        output.WriteLine($"with {bug}: {string.Join("; ", planted.Violations)}");
        Assert.True(planted.Violations.Any(v => !v.StartsWith("escaped the simulation", StringComparison.Ordinal)), $"seed {seed} no longer catches {bug}: search for another with COHORT_SIM_SEARCH=10000 (see the remarks)");

        var clean = SimRun.Execute(new Cluster.SimConfig(seed));
        Assert.True(clean.Passed, $"seed {seed} fails without the bug: {string.Join("; ", clean.Violations)}");
    }
}
