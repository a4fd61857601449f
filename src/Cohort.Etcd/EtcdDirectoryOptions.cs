namespace Cohort.Etcd;

/// <summary>Settings of an <see cref="EtcdClusterDirectory"/>.</summary>
public sealed class EtcdDirectoryOptions
{
    /// <summary>The cluster's key prefix in etcd, the same as its <see cref="EtcdLeadershipOptions.KeyPrefix"/>.</summary>
    public required string KeyPrefix { get; init; }

    /// <summary>
    /// This node's address, its candidate name (<see cref="EtcdLeadershipOptions.Candidate"/>): membership is written only
    /// while the leader key holds this value at the writer's epoch.
    /// </summary>
    public required string Node { get; init; }

    /// <summary>The time budget of one etcd request (default 1 s).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a write (membership, a claim, a release) is retried while etcd does not answer (default 3 s): a member
    /// that was just killed or restarted, an etcd leader change. Each write is safe to repeat: a claim or release that
    /// landed unseen is found again, a membership write is a compare-and-swap.
    /// </summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long opening retries the first read while etcd does not answer (default 5 s).</summary>
    public TimeSpan OpenTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often the watch is replaced by a fresh read and a new watch even when nothing broke it (default 30 s): a
    /// bound on how long a watch that went silent without an error could hide a change.
    /// </summary>
    public TimeSpan RecheckInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Checks the settings; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(KeyPrefix);
        ArgumentException.ThrowIfNullOrWhiteSpace(Node);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(WriteTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(OpenTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(RecheckInterval, TimeSpan.FromSeconds(1));
    }
}
