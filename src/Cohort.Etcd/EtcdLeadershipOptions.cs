namespace Cohort.Etcd;

/// <summary>Settings of an <see cref="EtcdLeadership"/>.</summary>
public sealed class EtcdLeadershipOptions
{
    /// <summary>Default lease time to live: 5 s.</summary>
    public static readonly TimeSpan DefaultLeaseTtl = TimeSpan.FromSeconds(5);

    /// <summary>Default time budget of one etcd call: 2 s.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The cluster's key prefix in etcd (e.g. <c>/cohort/prod</c>); the leader key is <c>&lt;prefix&gt;/leader</c>.</summary>
    public required string KeyPrefix { get; init; }

    /// <summary>This candidate's name, the leader key's value while it leads: the node's address, so others can forward to it.</summary>
    public required string Candidate { get; init; }

    /// <summary>
    /// The lease's time to live, in whole seconds (etcd's unit; etcd raises it to its minimum, about 1.5 × its election
    /// timeout, and the granted value is the one used). The leader key vanishes this long after the leader's last
    /// keep-alive reached etcd.
    /// </summary>
    public TimeSpan LeaseTtl { get; init; } = DefaultLeaseTtl;

    /// <summary>
    /// How much sooner than etcd this node gives up leadership after its last confirmed keep-alive: it leads only until
    /// (start of that keep-alive request) + TTL − this margin. Covers clock-rate differences and the time a request
    /// spends in flight before etcd renews the lease. Default: a third of the TTL.
    /// </summary>
    public TimeSpan? SafetyMargin { get; init; }

    /// <summary>The time between keep-alive requests. Default: a quarter of the TTL (two tries before the local deadline).</summary>
    public TimeSpan? KeepAliveInterval { get; init; }

    /// <summary>The time budget of each etcd call (grant, campaign, keep-alive answer, resign).</summary>
    public TimeSpan RequestTimeout { get; init; } = DefaultRequestTimeout;

    /// <summary>
    /// How long a candidate watches the leader key before it checks again with a fresh campaign (a watch on an etcd
    /// member that stopped answering is silent). Default: the TTL.
    /// </summary>
    public TimeSpan? RecheckInterval { get; init; }

    internal long TtlSeconds => Math.Max(1, (long)Math.Ceiling(LeaseTtl.TotalSeconds));

    internal TimeSpan EffectiveMargin(TimeSpan grantedTtl) => SafetyMargin ?? grantedTtl / 3;

    internal TimeSpan EffectiveKeepAliveInterval(TimeSpan grantedTtl) => KeepAliveInterval ?? grantedTtl / 4;

    internal TimeSpan EffectiveRecheck => RecheckInterval ?? TimeSpan.FromSeconds(TtlSeconds);

    /// <summary>Checks the settings; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(KeyPrefix);
        ArgumentException.ThrowIfNullOrWhiteSpace(Candidate);
        ArgumentOutOfRangeException.ThrowIfLessThan(LeaseTtl, TimeSpan.FromSeconds(1));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero);
        if (SafetyMargin is { } margin && (margin < TimeSpan.Zero || margin >= LeaseTtl))
        {
            throw new ArgumentOutOfRangeException(nameof(SafetyMargin), margin, "The safety margin must be at least zero and less than the lease TTL.");
        }

        if (KeepAliveInterval is { } interval && (interval <= TimeSpan.Zero || interval >= LeaseTtl))
        {
            throw new ArgumentOutOfRangeException(nameof(KeepAliveInterval), interval, "The keep-alive interval must be positive and less than the lease TTL.");
        }

        if (RecheckInterval is { } recheck && recheck <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(RecheckInterval), recheck, "The recheck interval must be positive.");
        }
    }
}
