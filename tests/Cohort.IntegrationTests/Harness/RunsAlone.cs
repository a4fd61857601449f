namespace Cohort.IntegrationTests.Harness;

/// <summary>
/// The collection of tests that load the machine on their own (the bank test): xUnit runs it after the other test
/// classes, not alongside them, so its timing bounds (30 s to settle) are not eaten by other clusters on 2 cores.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "Runs alone";
}
