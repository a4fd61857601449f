namespace Cohort.Storage.Replication;

/// <summary>The way from a primary to one replica of one resource (HTTP between nodes, direct calls in tests).</summary>
public interface IReplicaChannel
{
    /// <summary>The replica's node address.</summary>
    string Replica { get; }

    /// <summary>
    /// Sends <paramref name="entries"/> of stream <paramref name="stream"/> (consecutive, the first continuing the
    /// replica's stream unless it is a reset; none: a probe that the replica still follows it) under configuration term
    /// <paramref name="version"/>, and returns the sequence through which the replica now holds the stream durably.
    /// </summary>
    /// <exception cref="ReplicaRefusedException">The replica refused: the version is stale, or the entries leave a gap.</exception>
    Task<long> SendAsync(string resource, long version, string stream, IReadOnlyList<ReplicationEntry> entries, CancellationToken cancellationToken);
}
