namespace Cohort.Cluster;

/// <summary>How a <see cref="ClusterAgent"/> reaches other nodes (HTTP in a node, in-memory in tests).</summary>
public interface IClusterTransport
{
    /// <summary>Sends a heartbeat to <paramref name="address"/> and returns its reply; throws when it cannot be reached.</summary>
    Task<HeartbeatMessage> HeartbeatAsync(string address, HeartbeatMessage message, CancellationToken cancellationToken);

    /// <summary>
    /// Asks <paramref name="address"/> (any member; it passes the request to the master) to add <paramref name="joiner"/>
    /// to the membership; returns the master's state afterwards.
    /// </summary>
    Task<HeartbeatMessage> JoinAsync(string address, HeartbeatMessage joiner, CancellationToken cancellationToken);
}
