namespace Cohort.Tests.Coordination.Simulation;

/// <summary>What the simulated client was told about a transaction.</summary>
internal enum SimOutcome
{
    Committed,
    Aborted,
    InDoubt,

    /// <summary>The call failed or the coordinator crashed before answering.</summary>
    NoAnswer,
}
