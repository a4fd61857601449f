using Cohort.Core;
using Npgsql;

namespace Cohort.Postgres;

/// <summary>
/// One Cohort transaction on a PostgreSQL resource: a pooled connection holding an open PostgreSQL transaction until
/// prepare, one-phase commit or abort. Operations and state changes of one transaction run one at a time (<see cref="Gate"/>).
/// </summary>
internal sealed class PgTransaction(TxId id)
{
    /// <summary>The transaction.</summary>
    public TxId Id { get; } = id;

    /// <summary>Serializes operations, prepare, commit and abort of this transaction.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Where the transaction is.</summary>
    public PgTransactionState State { get; set; }

    /// <summary>The connection with the open PostgreSQL transaction (null before the first operation and after prepare).</summary>
    public NpgsqlConnection? Connection { get; set; }

    /// <summary>Whether <c>BEGIN</c> has been sent on <see cref="Connection"/>.</summary>
    public bool Begun { get; set; }

    /// <summary>Whether any statement may have written (anything but a plain SELECT ran).</summary>
    public bool MayHaveWritten { get; set; }

    /// <summary>The operations run, in order: the audit row's payload.</summary>
    public List<Value> Operations { get; } = [];

    /// <summary>The prepare timestamp once prepared.</summary>
    public HlcTimestamp PrepareTimestamp { get; set; }

    /// <summary>The transaction's deadline, as its operations carried it (a PREPARE waits for a server slot no longer).</summary>
    public DateTimeOffset Deadline { get; set; } = DateTimeOffset.MaxValue;

    /// <summary>The coordinator that prepared it.</summary>
    public string? Coordinator { get; set; }

    /// <summary>Cancelled by an abort, so a statement waiting for a lock stops at once.</summary>
    public CancellationTokenSource Cancel { get; } = new();

    /// <summary>
    /// Set when the connection failed while <c>PREPARE TRANSACTION</c> or <c>COMMIT</c> was in flight: the server
    /// process that ran it, which must be gone before the outcome can be read from the server.
    /// </summary>
    public int? DoubtfulBackend { get; set; }

    /// <summary>What was in flight when <see cref="DoubtfulBackend"/> was set: prepare or one-phase commit.</summary>
    public bool DoubtfulIsPrepare { get; set; }
}
