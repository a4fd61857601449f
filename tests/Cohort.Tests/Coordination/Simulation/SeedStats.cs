namespace Cohort.Tests.Coordination.Simulation;

/// <summary>Counts from one seeded run.</summary>
internal sealed record SeedStats(
    int Transactions,
    int ToldCommitted,
    int ToldAborted,
    int ToldInDoubt,
    int NoAnswer,
    int EndedCommitted,
    int CoordinatorCrashes,
    int NodeCrashes,
    int Dropped,
    int Duplicated,
    int Compactions);
