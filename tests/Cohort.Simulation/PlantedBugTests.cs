using System.Globalization;
using Cohort.Core.Execution;
using Xunit.Abstractions;

namespace Cohort.Simulation;

/// <summary>
/// Mutation checks of the simulation: each bug planted in the real protocol code is caught, and by the seed recorded
/// here (found by <see cref="Search"/>). A checker that cannot catch these would pass a broken protocol.
/// </summary>
public sealed class PlantedBugTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(PlantedBug.DecisionNotDurable)]
    [InlineData(PlantedBug.VoteBeforeDurable)]
    [InlineData(PlantedBug.PhaseTwoNotRetried)]
    [InlineData(PlantedBug.ReadOnlyReleasesAtPrepare)]
    public void Search(PlantedBug bug)
    {
        var count = SimSeeds.Count(defaultCount: 2_000);
        var report = SimSeeds.RunMany(count, seed => new Cluster.SimConfig(seed) { Bug = bug });
        output.WriteLine($"{bug}: {report.Failures.Count} of {count} seeds caught it; first: {string.Join(", ", report.Failures.Take(10).Select(f => f.Seed.ToString(CultureInfo.InvariantCulture)))}");
        foreach (var f in report.Failures.Take(3))
        {
            output.WriteLine($"seed {f.Seed}: {string.Join("; ", f.Violations.Take(2))}");
        }

        Assert.NotEmpty(report.Failures);
    }
}
