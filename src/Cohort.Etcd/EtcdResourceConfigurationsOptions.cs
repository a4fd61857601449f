namespace Cohort.Etcd;

/// <summary>Settings of an <see cref="EtcdResourceConfigurations"/>.</summary>
public sealed record EtcdResourceConfigurationsOptions
{
    /// <summary>Default <see cref="RequestTimeout"/>: 1 s.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Default <see cref="RetryTimeout"/>: 3 s.</summary>
    public static readonly TimeSpan DefaultRetryTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Default <see cref="OpenTimeout"/>: 5 s.</summary>
    public static readonly TimeSpan DefaultOpenTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Default <see cref="RecheckInterval"/>: 30 s.</summary>
    public static readonly TimeSpan DefaultRecheckInterval = TimeSpan.FromSeconds(30);

    /// <summary>The cluster's key prefix in etcd, the same as its <see cref="EtcdLeadershipOptions.KeyPrefix"/>.</summary>
    public required string KeyPrefix { get; init; }

    /// <summary>
    /// This node's address, its candidate name (<see cref="EtcdLeadershipOptions.Candidate"/>): a configuration is
    /// written only while the leader key holds this value at the writer's epoch.
    /// </summary>
    public required string Node { get; init; }

    /// <summary>The time budget of one etcd request; also how long a write waits for the watch to show it before reading afresh.</summary>
    public TimeSpan RequestTimeout { get; init; } = DefaultRequestTimeout;

    /// <summary>
    /// How long a write or a fresh read is retried while etcd does not answer: a member that was just killed or
    /// restarted, an etcd leader change. A write is safe to repeat (it is a compare-and-swap, and one that landed
    /// unseen is recognised as this writer's).
    /// </summary>
    public TimeSpan RetryTimeout { get; init; } = DefaultRetryTimeout;

    /// <summary>How long starting retries the first read while etcd does not answer.</summary>
    public TimeSpan OpenTimeout { get; init; } = DefaultOpenTimeout;

    /// <summary>
    /// How often the watch is replaced by a fresh read and a new watch even when nothing broke it: a bound on how long
    /// a watch that went silent without an error could hide a change.
    /// </summary>
    public TimeSpan RecheckInterval { get; init; } = DefaultRecheckInterval;

    /// <summary>Checks the settings; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(KeyPrefix);
        ArgumentException.ThrowIfNullOrWhiteSpace(Node);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(OpenTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(RecheckInterval, TimeSpan.FromSeconds(1));
    }
}
