namespace Cohort.Coordination;

/// <summary>
/// Whether this node may coordinate new work, and with which epoch. The cluster's election provides it; a
/// coordinator without one (tests, a single node) always leads with its configured epoch.
/// </summary>
public interface ILeadership
{
    /// <summary>The current epoch; every coordinator message carries it and participants refuse older ones.</summary>
    long Epoch { get; }

    /// <summary>
    /// Whether this node is the master now, confirmed recently enough to start new work (begin, apply, prepare).
    /// Phase two, aborts and recovery never ask: a durable decision stands whoever delivers it.
    /// </summary>
    bool IsLeader { get; }
}
