namespace Cohort.Postgres;

/// <summary>Settings of a <see cref="PostgresEngine"/>.</summary>
public sealed class PostgresOptions
{
    /// <summary>Default time an unowned <c>cohort:</c> prepared transaction must have existed before recovery reports it: 10 seconds.</summary>
    public static readonly TimeSpan DefaultOrphanGracePeriod = TimeSpan.FromSeconds(10);

    /// <summary>Default period of the scan of <c>pg_prepared_xacts</c>: 2 seconds.</summary>
    public static readonly TimeSpan DefaultRecoveryInterval = TimeSpan.FromSeconds(2);

    /// <summary>Default largest number of pooled connections: 100.</summary>
    public const int DefaultMaxPoolSize = 100;

    /// <summary>
    /// Default number of statements each pooled connection keeps prepared (Npgsql's <c>Max Auto Prepare</c>): 32. A statement
    /// is prepared once it ran five times on a connection. A DSN that sets <c>Max Auto Prepare</c> wins; 0 turns it off.
    /// </summary>
    public const int DefaultMaxAutoPrepare = 32;

    /// <summary>The Npgsql connection string (DSN) of the database, e.g. <c>Host=127.0.0.1;Port=5432;Username=app;Database=shard1</c>.</summary>
    public required string ConnectionString { get; init; }

    /// <summary>
    /// The cluster-wide name written into global transaction ids (<c>cohort:&lt;txid&gt;:&lt;GlobalName&gt;</c>); null for the
    /// resource name. Each node's <c>pg:default</c> passes <c>pg:default@host:port</c>, because PostgreSQL's prepared
    /// transaction ids are unique per server, and several nodes' default shards may live on one server.
    /// </summary>
    public string? GlobalName { get; init; }

    /// <summary>
    /// How long a <c>cohort:</c> prepared transaction of this resource that this process did not prepare must have existed
    /// before it is reported by <see cref="PostgresEngine.GetPrepared"/> (those found at start-up are reported at once).
    /// </summary>
    public TimeSpan OrphanGracePeriod { get; init; } = DefaultOrphanGracePeriod;

    /// <summary>How often <c>pg_prepared_xacts</c> is scanned for prepared transactions to resolve; <see cref="Timeout.InfiniteTimeSpan"/> disables it.</summary>
    public TimeSpan RecoveryInterval { get; init; } = DefaultRecoveryInterval;

    /// <summary>
    /// Largest number of connections the resource opens in all: most for open transactions (one each), a fifth (at least
    /// one, at most 20) for phase-two commits, audit lookups and recovery scans; at least 2.
    /// </summary>
    public int MaxPoolSize { get; init; } = DefaultMaxPoolSize;

    /// <summary>The part of <see cref="MaxPoolSize"/> for open transactions; the rest runs Cohort's own statements.</summary>
    internal int TransactionPoolSize => MaxPoolSize - Math.Clamp(MaxPoolSize / 5, 1, 20);

    /// <summary>
    /// Whether operations' SQL is checked for transaction-control statements (<c>COMMIT</c>, <c>ROLLBACK</c>, …), which are
    /// refused. Always on outside tests, which turn it off to reach the checks behind it.
    /// </summary>
    internal bool RefuseTransactionControl { get; init; } = true;

    /// <summary>The clock for deadlines and the recovery timer.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Checks the settings; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ConnectionString);
        ArgumentOutOfRangeException.ThrowIfLessThan(OrphanGracePeriod, TimeSpan.Zero);
        if (RecoveryInterval != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RecoveryInterval, TimeSpan.Zero);
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPoolSize, 2);
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
