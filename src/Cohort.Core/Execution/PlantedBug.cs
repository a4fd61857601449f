namespace Cohort.Core.Execution;

/// <summary>
/// Bugs the deterministic simulation can plant in the protocol to prove that its checker catches them (mutation
/// testing). Only a simulation's executor can turn one on (<see cref="Executor.IsPlanted"/>); a running node never
/// has any.
/// </summary>
[Flags]
public enum PlantedBug
{
    /// <summary>The protocol as written.</summary>
    None = 0,

    /// <summary>The coordinator answers a commit before its decision record is durable.</summary>
    DecisionNotDurable = 1,

    /// <summary>A participant votes yes before its prepare record is durable.</summary>
    VoteBeforeDurable = 2,

    /// <summary>Phase two is not retried: a commit or abort whose delivery failed counts as delivered.</summary>
    PhaseTwoNotRetried = 4,

    /// <summary>A participant that only read releases its locks when it votes, before the outcome.</summary>
    ReadOnlyReleasesAtPrepare = 8,

    /// <summary>A coordinator that lost its leadership still writes decisions (no fencing).</summary>
    DeposedLeaderWrites = 16,
}
