namespace Cohort.Simulation.Cluster;

/// <summary>What one simulated run does: its seed and how hostile its world is.</summary>
internal sealed record SimConfig(int Seed)
{
    /// <summary>Probability that a message is lost, that its reply is lost, and that it is duplicated (each).</summary>
    public double MessageFaultRate { get; init; } = 0.05;

    /// <summary>Client processes, each running its transactions one after another.</summary>
    public int Clients { get; init; } = 3;

    /// <summary>Transactions per client.</summary>
    public int TransactionsPerClient { get; init; } = 6;

    /// <summary>Whether processes crash (and restart) during the run.</summary>
    public bool Crashes { get; init; } = true;

    /// <summary>Probability that the receiver of a message crashes right after handling it, before replying.</summary>
    public double CrashAfterMessageRate { get; init; } = 0.01;

    /// <summary>Whether links between the coordinator and the nodes are cut (and healed) during the run.</summary>
    public bool Partitions { get; init; } = true;

    /// <summary>Probability that an fsync fails (the process must stop trusting its files).</summary>
    public double FsyncFailureRate { get; init; } = 0.002;

    /// <summary>Keep the trace's lines (to print them); the hash is kept either way.</summary>
    public bool KeepTrace { get; init; }

    /// <summary>The bug planted in the protocol for this run, if any (mutation testing of the checker).</summary>
    public Cohort.Core.Execution.PlantedBug Bug { get; init; }
}
