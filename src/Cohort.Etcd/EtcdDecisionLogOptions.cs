namespace Cohort.Etcd;

/// <summary>Settings of an <see cref="EtcdDecisionLog"/>.</summary>
public sealed class EtcdDecisionLogOptions
{
    /// <summary>
    /// Default largest number of decisions in one etcd transaction: 126. etcd refuses a transaction with more than
    /// <c>--max-txn-ops</c> (default 128) compares, and a batch carries the two compares of its fence plus one per
    /// decision (its key must be absent).
    /// </summary>
    public const int DefaultMaxBatch = 126;

    /// <summary>Default largest payload of one etcd transaction: 1 MiB (etcd refuses requests over 1.5 MiB by default).</summary>
    public const int DefaultMaxBatchBytes = 1024 * 1024;

    /// <summary>Default time budget of one etcd transaction attempt: 1 s (an attempt routed to a stopped member is given up soon, and the next goes to another; WriteTimeout bounds them all).</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Default time budget of a write, across its attempts: 5 s.</summary>
    public static readonly TimeSpan DefaultWriteTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The cluster's key prefix in etcd, the same as its <see cref="EtcdLeadershipOptions.KeyPrefix"/>.</summary>
    public required string KeyPrefix { get; init; }

    /// <summary>
    /// This node's candidate name (<see cref="EtcdLeadershipOptions.Candidate"/>): a decision is written only while the
    /// leader key holds this value at the decision's epoch.
    /// </summary>
    public required string Holder { get; init; }

    /// <summary>The most decisions (or END deletions) in one etcd transaction; at most etcd's <c>--max-txn-ops</c> less two.</summary>
    public int MaxBatch { get; init; } = DefaultMaxBatch;

    /// <summary>
    /// How many decision-writing etcd transactions may be in flight at once (default 1). More shortens a decision's
    /// wait when etcd has CPU to spare, but makes smaller batches and so more etcd transactions: with etcd on the same
    /// two cores as the nodes, 2 measured slower than 1 (docs/performance.md).
    /// </summary>
    public int MaxInFlight { get; init; } = DefaultMaxInFlight;

    /// <summary>Default <see cref="MaxInFlight"/>.</summary>
    public const int DefaultMaxInFlight = 1;

    /// <summary>How long finished decisions gather before their keys are deleted in one etcd transaction (default 50 ms).</summary>
    public TimeSpan EndLinger { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The most bytes of decision values in one etcd transaction.</summary>
    public int MaxBatchBytes { get; init; } = DefaultMaxBatchBytes;

    /// <summary>
    /// How long an attempt may go unanswered before the same transaction is sent once more, the first answer counting
    /// (default 250 ms): a stopped etcd member the balancer picks then costs this, not the whole
    /// <see cref="RequestTimeout"/>. A healthy etcd answers in milliseconds.
    /// </summary>
    public TimeSpan HedgeDelay { get; init; } = DefaultHedgeDelay;

    /// <summary>Default <see cref="HedgeDelay"/>: 250 ms.</summary>
    public static readonly TimeSpan DefaultHedgeDelay = TimeSpan.FromMilliseconds(250);

    /// <summary>The time budget of one transaction attempt.</summary>
    public TimeSpan RequestTimeout { get; init; } = DefaultRequestTimeout;

    /// <summary>
    /// The time budget of a write from the moment its transaction is first sent, across retries on transient failures
    /// (an etcd member down, a leader change); past it the waiters fail with <c>unavailable</c>.
    /// </summary>
    public TimeSpan WriteTimeout { get; init; } = DefaultWriteTimeout;

    /// <summary>
    /// How long an abort recorded while settling a transaction stays in etcd (it is bound to a lease of this TTL): long
    /// enough for every participant of the transaction to ask; after it, presumed abort gives the same answer. Default: 10 minutes.
    /// A decision adopted from a predecessor stays this long after its END too, for its coordinator, if in doubt, to read.
    /// </summary>
    public TimeSpan AbortRetention { get; init; } = DefaultAbortRetention;

    /// <summary>Default <see cref="AbortRetention"/>: 10 minutes.</summary>
    public static readonly TimeSpan DefaultAbortRetention = TimeSpan.FromMinutes(10);

    /// <summary>Checks the settings; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(KeyPrefix);
        ArgumentException.ThrowIfNullOrWhiteSpace(Holder);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxInFlight, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxInFlight, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchBytes, 1024);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(WriteTimeout, RequestTimeout);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(HedgeDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(AbortRetention, TimeSpan.FromSeconds(1));
    }
}
