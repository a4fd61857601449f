namespace Cohort.Coordination;

/// <summary>Settings of a <see cref="Coordinator"/>.</summary>
public sealed class CoordinatorOptions
{
    /// <summary>Default transaction timeout: 30 seconds.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Default longest timeout a client may ask for: 10 minutes.</summary>
    public static readonly TimeSpan DefaultMaxTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Default time a single protocol message may take before it counts as lost: 5 seconds.</summary>
    public static readonly TimeSpan DefaultMessageTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Default first retry delay of phase two and aborts: 50 ms (doubling up to <see cref="DefaultRetryMaxDelay"/>).</summary>
    public static readonly TimeSpan DefaultRetryInitialDelay = TimeSpan.FromMilliseconds(50);

    /// <summary>Default longest retry delay: 5 seconds.</summary>
    public static readonly TimeSpan DefaultRetryMaxDelay = TimeSpan.FromSeconds(5);

    /// <summary>Default number of attempts to deliver an abort (participants that miss it learn it by asking).</summary>
    public const int DefaultAbortAttempts = 5;

    /// <summary>Default number of finished transactions kept for status queries.</summary>
    public const int DefaultFinishedCapacity = 10_000;

    /// <summary>Default period of the sweep that aborts overdue transactions: 1 second.</summary>
    public static readonly TimeSpan DefaultSweepInterval = TimeSpan.FromSeconds(1);

    /// <summary>Default <see cref="PhaseTwoBacklog"/>: 64 transactions.</summary>
    public const int DefaultPhaseTwoBacklog = 64;

    /// <summary>This coordinator's address (node id); participants record it at prepare to ask for decisions.</summary>
    public required string NodeId { get; init; }

    /// <summary>The leadership epoch; messages carry it and participants refuse older ones.</summary>
    public long Epoch { get; init; } = 1;

    /// <summary>
    /// Where the epoch and the right to start new work come from (the cluster's election); null: always leading,
    /// at <see cref="Epoch"/>.
    /// </summary>
    public ILeadership? Leadership { get; init; }

    /// <summary>Timeout of a transaction that asks for none.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>The longest timeout a transaction may ask for.</summary>
    public TimeSpan MaxTimeout { get; init; } = DefaultMaxTimeout;

    /// <summary>How long one prepare, commit or abort message may take before it counts as lost.</summary>
    public TimeSpan MessageTimeout { get; init; } = DefaultMessageTimeout;

    /// <summary>First retry delay; doubles on each failure up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryInitialDelay { get; init; } = DefaultRetryInitialDelay;

    /// <summary>Longest retry delay.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = DefaultRetryMaxDelay;

    /// <summary>Attempts to deliver an abort to one participant.</summary>
    public int AbortAttempts { get; init; } = DefaultAbortAttempts;

    /// <summary>Finished transactions remembered for status queries.</summary>
    public int FinishedCapacity { get; init; } = DefaultFinishedCapacity;

    /// <summary>Period of the overdue-transaction sweep; <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> disables it.</summary>
    public TimeSpan SweepInterval { get; init; } = DefaultSweepInterval;

    /// <summary>
    /// How many decided commits may still be in phase two before the caller of a new commit waits for its own phase two
    /// (at most <see cref="MessageTimeout"/>) rather than being answered as soon as its decision is durable. It bounds
    /// what participants hold prepared when they commit more slowly than clients start transactions (a PostgreSQL server
    /// refuses PREPARE TRANSACTION beyond <c>max_prepared_transactions</c>); 0 makes every caller wait for phase two.
    /// </summary>
    public int PhaseTwoBacklog { get; init; } = DefaultPhaseTwoBacklog;

    /// <summary>Checks the settings; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(NodeId);
        ArgumentOutOfRangeException.ThrowIfNegative(Epoch);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Timeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTimeout, Timeout);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MessageTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RetryInitialDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryMaxDelay, RetryInitialDelay);
        ArgumentOutOfRangeException.ThrowIfLessThan(AbortAttempts, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(FinishedCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(PhaseTwoBacklog);
    }
}
