namespace Cohort.Core;

/// <summary>
/// The participant contract every Cohort engine implements (embedded engines and PostgreSQL alike).
/// A transaction starts implicitly with its first <see cref="ApplyAsync"/>.
/// </summary>
/// <remarks>
/// Guarantees an implementation must give, checked by the conformance suite:
/// <list type="bullet">
/// <item><see cref="PrepareAsync"/> answers <see cref="VoteKind.Yes"/> only after the prepare record is durable.</item>
/// <item><see cref="CommitAsync"/>, <see cref="CommitOnePhaseAsync"/> and <see cref="AbortAsync"/> are idempotent; abort of an unknown transaction succeeds.</item>
/// <item>A repeated <see cref="PrepareAsync"/> answers the vote already given (<see cref="VoteKind.Yes"/> also once the transaction
/// committed, <see cref="VoteKind.ReadOnly"/> again after a read-only vote); <see cref="VoteKind.No"/> only for an aborted or unknown transaction.</item>
/// <item>Read-write transactions lock (wound-wait on <see cref="TxId"/> age, waits bounded by the deadline);
/// <see cref="ReadAsync"/> takes no locks and sees exactly the commits at or before its snapshot, waiting for
/// prepared writes whose prepare timestamp is at or before it.</item>
/// <item>After a restart, prepared transactions come back holding their write locks and are listed by <see cref="GetPrepared"/>.</item>
/// </list>
/// </remarks>
public interface ITransactionalEngine : IAsyncDisposable
{
    /// <summary>The resource name, e.g. <c>kv:users</c>.</summary>
    string Name { get; }

    /// <summary>Runs an operation inside a read-write transaction, taking the locks it needs.</summary>
    /// <returns>The operation's result (<see cref="Value.Null"/> when it has none).</returns>
    ValueTask<Value> ApplyAsync(TransactionContext tx, Operation operation, CancellationToken cancellationToken);

    /// <summary>
    /// Whether transaction <paramref name="tx"/> may have written on this resource so far: false only when everything it ran
    /// here only read (its prepare would vote read-only). An unknown transaction answers true. The participant host sends
    /// this with each operation's answer, so the coordinator knows its writers without guessing from operation names.
    /// </summary>
    bool MayHaveWritten(TxId tx);

    /// <summary>Runs a read-only operation at snapshot <paramref name="snapshot"/> without locks.</summary>
    ValueTask<Value> ReadAsync(HlcTimestamp snapshot, Operation operation, CancellationToken cancellationToken);

    /// <summary>Phase one: makes the transaction's writes durable and promises to commit them if told.</summary>
    ValueTask<Vote> PrepareAsync(TxId tx, PrepareInfo info, CancellationToken cancellationToken);

    /// <summary>
    /// Phase two, after a Yes vote: applies the writes at <paramref name="commitTimestamp"/> (or at the
    /// prepare timestamp if that is later) and releases the locks. After a read-only vote that kept its locks
    /// (<see cref="PrepareInfo.KeepReadLocks"/>): moves the clock past <paramref name="commitTimestamp"/>, then releases
    /// them. Idempotent: a transaction that is no longer known committed earlier. Refuses a transaction that was never
    /// prepared (<c>not_active</c>) or was aborted (<c>aborted</c>).
    /// </summary>
    ValueTask CommitAsync(TxId tx, HlcTimestamp commitTimestamp, CancellationToken cancellationToken);

    /// <summary>
    /// Commits a transaction whose only writer is this resource, without a separate prepare: one log
    /// record, durable before this completes, at a timestamp no earlier than <paramref name="commitTimestamp"/>.
    /// Idempotent once committed; an unknown transaction fails with <c>unknown_transaction</c> (its work
    /// was lost, for instance in a restart, and it did not commit).
    /// </summary>
    /// <returns>
    /// The timestamp it committed at (a transaction that wrote nothing: the clock when it finished, later than every
    /// version it read). Repeated calls return the same timestamp while the engine remembers the transaction.
    /// </returns>
    ValueTask<HlcTimestamp> CommitOnePhaseAsync(TxId tx, HlcTimestamp commitTimestamp, CancellationToken cancellationToken);

    /// <summary>Discards the transaction and releases its locks. Idempotent, never throws for an unknown transaction.</summary>
    ValueTask AbortAsync(TxId tx, CancellationToken cancellationToken);

    /// <summary>
    /// The prepared transactions still waiting for a decision (after a restart: those recovered from the log), and the
    /// read-only ones keeping their locks until the outcome arrives (<see cref="PreparedTransaction.ReadOnly"/>).
    /// </summary>
    IReadOnlyList<PreparedTransaction> GetPrepared();

    /// <summary>Whether <paramref name="txId"/> is one of <see cref="GetPrepared"/>'s (engines answer it without listing them all).</summary>
    bool HoldsPrepared(TxId txId) => GetPrepared().Any(p => p.Id == txId);

    /// <summary>The engine's clock; commit timestamps must be at or after every vote's prepare timestamp.</summary>
    HybridClock Clock { get; }
}
