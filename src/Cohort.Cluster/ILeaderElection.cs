namespace Cohort.Cluster;

/// <summary>
/// An election held outside the cluster agent (the etcd backend's lease campaign), which the agent follows instead of
/// running the embedded heartbeat election: who leads, under which epoch, and whether this node does.
/// </summary>
public interface ILeaderElection
{
    /// <summary>The leader's address as last seen, or null when none is known.</summary>
    string? Leader { get; }

    /// <summary>The newest epoch seen (the leader's), 0 before any.</summary>
    long Epoch { get; }

    /// <summary>The epoch this node holds the leadership with, 0 when it does not.</summary>
    long HeldEpoch { get; }

    /// <summary>Whether this node holds the leadership and may start new work now (its lease is confirmed).</summary>
    bool IsLeader { get; }

    /// <summary>Raised whenever <see cref="Leader"/>, <see cref="Epoch"/> or <see cref="HeldEpoch"/> may have changed.</summary>
    event Action? Changed;
}
