using System.Buffers;
using System.Collections.Concurrent;
using Cohort.Core;
using Cohort.Storage.Encoding;
using Cohort.Storage.Locking;
using Cohort.Storage.Replication;
using Cohort.Storage.Mvcc;
using Cohort.Storage.StateMachines;
using Cohort.Storage.Wal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Cohort.Core.Execution;

namespace Cohort.Engines;

/// <summary>
/// The participant protocol shared by the embedded engines: transaction table, wound-wait locks,
/// durable prepare, idempotent commit and abort, one-phase commit, deadlines, recovery from snapshot
/// plus log, and snapshotting. An engine supplies its operations and how its writes are stored.
/// </summary>
/// <remarks>
/// Every change of durable state happens under <c>_stateLock</c> together with the append of its log
/// record, so the log's order is the state's order and a snapshot taken under the same lock (with a
/// log rotation) is exactly "everything before segment S". Waiting for fsync happens outside the lock.
/// A one-phase commit's versions become visible only after its record is durable; until then the keys carry a
/// <see cref="PreparedMarker"/> so snapshot reads wait instead of missing the commit. A phase-two commit's become
/// visible once its record is appended (its decision is already durable at the coordinator), and the commit is
/// acknowledged only once the record is durable (<see cref="CommitAsync(TxId, HlcTimestamp, CancellationToken)"/>).
/// </remarks>
/// <typeparam name="TTx">The engine's transaction state.</typeparam>
public abstract partial class TransactionalEngine<TTx> : IEmbeddedEngine
    where TTx : EngineTransaction
{
    private const int FinishedCapacity = 100_000;

    private readonly ConcurrentDictionary<TxId, TTx> _transactions = new();
    private readonly RecentOutcomes<Outcome> _finished = new(FinishedCapacity);

    // Phase-two commits released before their record is durable (CommitAsync), until it is, and for good when it
    // failed: a repeat of the commit waits on the promise (a task awaited twice would resume its second awaiter off
    // the simulation's thread) and fails with it.
    private readonly ConcurrentDictionary<TxId, Promise> _recording = new();
    private readonly Lock _stateLock = new();
    private readonly AsyncGate _snapshotGate = new();
    private LoggedStateMachine? _machine;
    private WriteAheadLog? _wal;
    private ITimer? _maintenance;
    private long _walBytesAtSnapshot;
    private int _disposed;
    private int _snapshotQueued;

    /// <summary>Creates the engine; call <see cref="Open"/> before use.</summary>
    protected TransactionalEngine(string name, EngineOptions options, ILogger? logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Name = name;
        Options = options;
        Logger = logger ?? NullLogger.Instance;
        Clock = new HybridClock(options.TimeProvider);
        Locks = new LockManager(OnWounded, options.TimeProvider);
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public HybridClock Clock { get; }

    /// <summary>The engine's settings.</summary>
    protected EngineOptions Options { get; }

    /// <summary>The engine's logger.</summary>
    protected ILogger Logger { get; }

    /// <summary>The lock manager (wound-wait) of this engine.</summary>
    protected internal LockManager Locks { get; }

    /// <summary>Number of transactions in the table (active, preparing, prepared, committing).</summary>
    public int ActiveTransactionCount => _transactions.Count;

    private WriteAheadLog Wal => _wal ?? throw new InvalidOperationException("The engine is not open.");

    private LoggedStateMachine Machine => _machine ?? throw new InvalidOperationException("The engine is not open.");

    /// <inheritdoc/>
    public ISnapshotSource SnapshotSource => Machine;

    /// <inheritdoc/>
    public void Replicate(IReplicationSink? sink)
    {
        lock (_stateLock)
        {
            Machine.Replication = sink;
        }
    }

    /// <inheritdoc/>
    public async ValueTask<Value> ApplyAsync(TransactionContext tx, Operation operation, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var state = GetOrBegin(tx);
        await state.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowUnlessActive(state);
            if (Options.TimeProvider.GetUtcNow() >= state.Deadline)
            {
                AbortActive(state, $"deadline {state.Deadline:O} passed");
                throw new CohortException(ErrorCodes.Expired, $"Transaction {state.Id} passed its deadline and was aborted.");
            }

            return await ExecuteAsync(state, operation, cancellationToken).ConfigureAwait(false);
        }
        catch (CohortException e) when (e.Code is ErrorCodes.LockTimeout or ErrorCodes.Expired)
        {
            // The deadline has passed (a lock wait or a statement stopped at it): nothing more this transaction does can
            // commit, and what it holds is released now.
            AbortActive(state, e.Message);
            throw;
        }
        finally
        {
            lock (state.Sync)
            {
                // An abort, wound or expiry may have run while the operation was in flight and already
                // released what the transaction held then; release what the operation added since.
                if (state.State == TxState.Aborted)
                {
                    OnDiscarded(state);
                }
            }

            state.Gate.Release();
        }
    }

    /// <inheritdoc/>
    public bool MayHaveWritten(TxId tx) => !_transactions.TryGetValue(tx, out var state) || state.HasWrites;

    /// <inheritdoc/>
    public ValueTask<Value> ReadAsync(HlcTimestamp snapshot, Operation operation, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var limit = HlcTimestamp.FromDateTimeOffset(Options.TimeProvider.GetUtcNow() + TimeSpan.FromSeconds(10));
        if (snapshot > limit)
        {
            throw new CohortException(ErrorCodes.BadOperation, $"Snapshot {snapshot} lies in the future; read as of a time at most 10 s ahead.");
        }

        // Every prepare after this read gets a later timestamp, so the read can never be invalidated.
        Clock.Observe(snapshot);
        return ExecuteReadAsync(snapshot, operation, cancellationToken);
    }

    /// <inheritdoc/>
    public async ValueTask<Vote> PrepareAsync(TxId tx, PrepareInfo info, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        if (!_transactions.TryGetValue(tx, out var state))
        {
            if (!_finished.TryGetValue(tx, out var outcome))
            {
                return Vote.No($"transaction {tx} is unknown here (never began or already aborted)");
            }

            return outcome.Committed ? (outcome.ReadOnly ? Vote.ReadOnly(outcome.Timestamp) : Vote.Yes(outcome.Timestamp)) : Vote.No(outcome.Reason ?? "aborted");
        }

        await state.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Task durable;
            var readOnly = false;
            lock (state.Sync)
            {
                switch (state.State)
                {
                    case TxState.Preparing:
                    case TxState.Prepared:
                        durable = state.Durable ?? Task.CompletedTask;
                        break;
                    case TxState.ReadOnlyPrepared:
                        durable = state.Durable ?? Task.CompletedTask;
                        readOnly = true;
                        break;
                    case TxState.Active:
                        if (!state.HasWrites)
                        {
                            if (PrepareReadOnly(state, info) is { } vote)
                            {
                                return vote;
                            }

                            durable = state.Durable!;
                            readOnly = true;
                            break;
                        }

                        if (FreezeOrAbort(state) is { } refused)
                        {
                            return Vote.No(refused);
                        }

                        try
                        {
                            durable = AppendPrepare(state, info);
                        }
                        catch (Exception e) when (e is CohortException or ArgumentOutOfRangeException)
                        {
                            return FailPrepare(state, e);
                        }

                        break;
                    default:
                        return state.State == TxState.Aborted ? Vote.No(state.AbortReason ?? "aborted") : Vote.Yes(state.PrepareTimestamp);
                }
            }

            // Shared locks are kept until commit or abort: released here, a writer could commit below
            // this transaction's commit timestamp a value it read the older version of.
            try
            {
                if (!Executor.IsPlanted(PlantedBug.VoteBeforeDurable))
                {
                    await durable.ConfigureAwait(false);
                }
            }
            catch (IOException e)
            {
                // The record may or may not be on disk. Voting No is safe either way: if it survives,
                // recovery finds the transaction prepared and the coordinator answers "abort".
                return FailPrepare(state, e);
            }

            lock (state.Sync)
            {
                if (state.State == TxState.Preparing)
                {
                    state.State = TxState.Prepared;
                }
                else if (state.State == TxState.Aborted)
                {
                    // The coordinator aborted it while the prepare record was being written.
                    return Vote.No(state.AbortReason ?? "aborted");
                }
                else if (readOnly)
                {
                    return state.State == TxState.ReadOnlyPrepared
                        ? Vote.ReadOnly(state.PrepareTimestamp, holdsLocks: true)
                        : Vote.ReadOnly(state.CommitTimestamp);
                }
            }

            Log.Prepared(Logger, Name, tx, state.PrepareTimestamp);
            return Vote.Yes(state.PrepareTimestamp);
        }
        finally
        {
            state.Gate.Release();
        }
    }

    /// <inheritdoc/>
    public ValueTask CommitAsync(TxId tx, HlcTimestamp commitTimestamp, CancellationToken cancellationToken)
    {
        // No async layer of its own: a pending commit's task is its state machine's, which AsTask returns as it is.
        var commit = CommitAsync(tx, commitTimestamp, onePhase: false, cancellationToken);
        return commit.IsCompletedSuccessfully ? default : new ValueTask(commit.AsTask());
    }

    /// <inheritdoc/>
    public ValueTask<HlcTimestamp> CommitOnePhaseAsync(TxId tx, HlcTimestamp commitTimestamp, CancellationToken cancellationToken) =>
        CommitAsync(tx, commitTimestamp, onePhase: true, cancellationToken);

    // Returns the timestamp the transaction committed at.
    private async ValueTask<HlcTimestamp> CommitAsync(TxId tx, HlcTimestamp commitTimestamp, bool onePhase, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        Clock.Observe(commitTimestamp);
        if (!_transactions.TryGetValue(tx, out var state))
        {
            if (_finished.TryGetValue(tx, out var outcome))
            {
                if (!outcome.Committed)
                {
                    // A wounded transaction lost a conflict: retrying the whole transaction may succeed.
                    // The code stays "aborted" (callers settle on it); transience tells a client it may retry.
                    throw new CohortException(
                        ErrorCodes.Aborted,
                        $"Transaction {tx} was aborted here ({outcome.Reason}); it cannot commit.",
                        isTransient: outcome.Wounded);
                }

                if (_recording.TryGetValue(tx, out var recorded))
                {
                    // Committed here before its record was durable (early lock release): acknowledge only once it is.
                    await recorded.Task.ConfigureAwait(false);
                }

                return outcome.Timestamp;
            }

            if (onePhase)
            {
                // Never logged, so never prepared: whatever it did here was lost (a restart, or it was
                // aborted and forgotten). Reporting success would lose the writes silently.
                throw new CohortException(
                    ErrorCodes.UnknownTransaction,
                    $"Transaction {tx} is unknown here: its work was lost (for instance in a restart) before it was prepared; it did not commit.",
                    isTransient: false);
            }

            // Phase two after a Yes vote: a prepared transaction is never forgotten before it commits,
            // so an unknown one committed earlier and was forgotten. Commit is idempotent; its record is durable once
            // everything logged so far is (and a log that failed since cannot say so).
            await Machine.Wal.FlushAsync().ConfigureAwait(false);
            return commitTimestamp;
        }

        await state.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Task durable;
            var released = false;
            lock (state.Sync)
            {
                switch (state.State)
                {
                    case TxState.Committed:
                        // Possibly released early (below) and its record not yet durable: the answer waits for it.
                        durable = state.Durable ?? Task.CompletedTask;
                        released = true;
                        break;
                    case TxState.Committing:
                        durable = state.Durable!;
                        break;
                    case TxState.ReadOnlyPrepared:
                        // The clock has observed the commit timestamp (above): every later writer here commits after it.
                        return FinishReadOnly(state, Max(commitTimestamp, state.PrepareTimestamp));
                    case TxState.Aborted:
                        throw new CohortException(ErrorCodes.Aborted, $"Transaction {tx} was aborted here ({state.AbortReason}); it cannot commit.", isTransient: false);
                    case TxState.Active when !onePhase:
                        throw new CohortException(ErrorCodes.NotActive, $"Transaction {tx} has not been prepared here; prepare it first, or commit it with CommitOnePhaseAsync.", isTransient: false);
                    case TxState.Active:
                        if (!state.HasWrites)
                        {
                            // Alone, it may release at once: every write here from now on commits above this reading.
                            return FinishReadOnly(state, Max(commitTimestamp, Clock.Now()));
                        }

                        if (FreezeOrAbort(state) is { } refused)
                        {
                            throw new CohortException(ErrorCodes.Wounded, $"Transaction {tx} cannot commit: {refused}.");
                        }

                        try
                        {
                            durable = AppendCommit(state, Max(commitTimestamp, Clock.Now()), onePhase: true);
                        }
                        catch (Exception e) when (e is CohortException or ArgumentOutOfRangeException)
                        {
                            // Nothing was logged: the transaction is aborted, never half-committed.
                            var vote = FailPrepare(state, e);
                            throw new CohortException(ErrorCodes.Aborted, $"Transaction {tx} could not commit: {vote.Reason}", isTransient: false, e);
                        }

                        break;
                    default:
                        durable = AppendCommit(state, Max(commitTimestamp, state.PrepareTimestamp), onePhase: false);
                        released = true;
                        break;
                }
            }

            if (released)
            {
                Promise? recorded = null;
                if (state.State == TxState.Committing)
                {
                    // Phase two of a prepared transaction: its writes are installed and its locks released as soon as
                    // the commit record is in the log, before it is durable (early lock release). That is safe because
                    // the coordinator holds the durable decision until this call acknowledges it, which waits for the
                    // record below: lost in a crash, the transaction comes back prepared and is committed again. And
                    // anything that builds on these writes here is logged after the record, so it cannot survive it.
                    recorded = new Promise();
                    _recording[tx] = recorded;
                    FinishCommit(state);
                }

                try
                {
                    await durable.ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    // The record may or may not be durable (here, or on a replica): every repeat of this commit fails
                    // too, until a restart learns the outcome from the log and the coordinator.
                    recorded?.TrySetException(e);
                    throw;
                }

                if (recorded is not null)
                {
                    _recording.TryRemove(tx, out _);
                    recorded.TrySetResult();
                }

                return state.CommitTimestamp;
            }

            try
            {
                await durable.ConfigureAwait(false);
            }
            catch (IOException e)
            {
                // The commit record may or may not be on disk and the log accepts nothing more: this
                // engine must restart to learn the outcome. Readers waiting on it get the error.
                state.Marker?.Fail(new CohortException(ErrorCodes.Corruption, $"The outcome of {tx} on {Name} is unknown until restart: {e.Message}", isTransient: false, e));
                throw;
            }

            FinishCommit(state);
            return state.CommitTimestamp;
        }
        finally
        {
            state.Gate.Release();
        }
    }

    /// <inheritdoc/>
    public async ValueTask AbortAsync(TxId tx, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        if (!_transactions.TryGetValue(tx, out var state))
        {
            // Remembered so that an operation arriving late cannot start the transaction afresh.
            Remember(tx, new Outcome(false, default, "aborted before this resource saw it", false));
            return;
        }

        Task? durable = null;
        lock (state.Sync)
        {
            switch (state.State)
            {
                case TxState.ReadOnlyPrepared:
                    if (state.Durable is not null)
                    {
                        AppendOutcomeLazily(AbortRecord, state.Id, default);
                    }

                    AbortActiveLocked(state, "aborted by request");
                    return;
                case TxState.Active:
                    AbortActiveLocked(state, "aborted by request");
                    return;
                case TxState.Preparing:
                case TxState.Prepared:
                    durable = AppendAbort(state);
                    break;
                default:
                    // Committing/Committed: a decided commit cannot be undone; Aborted: nothing to do.
                    if (state.State is TxState.Committing or TxState.Committed)
                    {
                        Log.AbortAfterCommit(Logger, Name, tx);
                    }

                    return;
            }
        }

        try
        {
            await durable.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or CohortException or OperationCanceledException)
        {
            // Presumed abort: if the abort record is lost, recovery finds the transaction prepared and asks the coordinator.
            Log.AbortRecordNotDurable(Logger, Name, tx, e.Message);
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<PreparedTransaction> GetPrepared() =>
        [.. _transactions.Values
            .Where(t => t.State is TxState.Prepared or TxState.ReadOnlyPrepared)
            .Select(t => new PreparedTransaction(t.Id, t.PrepareTimestamp, t.Coordinator, t.State == TxState.ReadOnlyPrepared))];

    /// <inheritdoc/>
    public bool HoldsPrepared(TxId tx) =>
        _transactions.TryGetValue(tx, out var state) && state.State is TxState.Prepared or TxState.ReadOnlyPrepared;

    /// <summary>The outcome this engine remembers for <paramref name="tx"/>, for status queries and tests.</summary>
    public string DescribeState(TxId tx) =>
        _transactions.TryGetValue(tx, out var state) ? state.State.ToString().ToLowerInvariant()
        : _finished.TryGetValue(tx, out var outcome) ? (outcome.Committed ? "committed" : "aborted")
        : "unknown";

    /// <summary>Runs expiry of overdue active transactions and version garbage collection once.</summary>
    public void RunMaintenance()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        var now = Options.TimeProvider.GetUtcNow();
        foreach (var state in _transactions.Values)
        {
            if (state.State == TxState.Active && now >= state.Deadline)
            {
                AbortActive(state, $"deadline {state.Deadline:O} passed");
            }
        }

        lock (_stateLock)
        {
            // Under the state lock so a snapshot never sees a collection half done.
            CollectGarbage(HlcTimestamp.FromDateTimeOffset(now - Options.Retention));
        }
        if (Wal.BytesSinceStart - Interlocked.Read(ref _walBytesAtSnapshot) >= Options.SnapshotThresholdBytes
            && Interlocked.CompareExchange(ref _snapshotQueued, 1, 0) == 0)
        {
            _ = Executor.Current.Run(SnapshotInBackgroundAsync);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_maintenance is not null)
        {
            await _maintenance.DisposeAsync().ConfigureAwait(false);
        }

        await _snapshotGate.WaitAsync().ConfigureAwait(false);
        if (_wal is not null)
        {
            await _wal.DisposeAsync().ConfigureAwait(false);
        }

        DisposeCore();
        GC.SuppressFinalize(this);
    }

    /// <summary>Creates the state object of a new transaction.</summary>
    protected abstract TTx CreateTransaction(TxId id, DateTimeOffset deadline);

    /// <summary>Runs a read-write operation: takes locks through <see cref="Locks"/> and buffers writes in the transaction.</summary>
    protected abstract ValueTask<Value> ExecuteAsync(TTx tx, Operation operation, CancellationToken cancellationToken);

    /// <summary>Runs a lock-free read-only operation at a snapshot.</summary>
    protected abstract ValueTask<Value> ExecuteReadAsync(HlcTimestamp snapshot, Operation operation, CancellationToken cancellationToken);

    /// <summary>Rebuilds a prepared or committing transaction from the intents written by <see cref="EngineTransaction.WriteIntents"/>.</summary>
    protected abstract TTx ReadIntents(TxId id, ref SpanReader reader);

    /// <summary>
    /// Marks what the prepared transaction will write so snapshot reads wait for it (called under the
    /// state lock). The marker's timestamp must be taken from <paramref name="timestamp"/> while the
    /// engine's store is locked against readers, so no read can slip between choosing it and marking.
    /// </summary>
    protected abstract PreparedMarker MarkPrepared(TTx tx, Func<HlcTimestamp> timestamp);

    /// <summary>Makes the transaction's writes visible at <paramref name="commitTimestamp"/> and clears its markers (under the state lock).</summary>
    protected abstract void InstallCommit(TTx tx, HlcTimestamp commitTimestamp, PreparedMarker? marker);

    /// <summary>Removes an aborted prepared transaction's markers (under the state lock).</summary>
    protected abstract void OnPreparedAborted(TTx tx, PreparedMarker marker);

    /// <summary>Writes the committed state for a snapshot (under the state lock).</summary>
    protected abstract void WriteState(IBufferWriter<byte> writer);

    /// <summary>Loads committed state written by <see cref="WriteState"/>.</summary>
    protected abstract void ReadState(ref SpanReader reader);

    /// <summary>Drops versions older than the horizon.</summary>
    protected abstract void CollectGarbage(HlcTimestamp horizon);

    /// <summary>Called once for a transaction that ends without committing (abort, wound, deadline, failed prepare).</summary>
    protected virtual void OnDiscarded(TTx tx)
    {
    }

    /// <summary>
    /// Retakes the exclusive locks of a prepared transaction recovered from the log, before any new transaction
    /// runs. The default locks <see cref="EngineTransaction.ExclusiveLockKeys"/>; engines with range locks override it.
    /// </summary>
    protected virtual void RetakeLocks(TTx tx)
    {
        ArgumentNullException.ThrowIfNull(tx);
        foreach (var key in tx.ExclusiveLockKeys)
        {
            Locks.AcquireRecovered(tx.Locks, key, LockMode.Exclusive);
        }
    }

    /// <summary>Called for each prepared transaction recovered at start-up, after its locks are retaken.</summary>
    protected virtual void OnRecovered(TTx tx)
    {
    }

    /// <summary>Releases engine-specific resources.</summary>
    protected virtual void DisposeCore()
    {
    }

    /// <summary>Throws <c>disposed</c> after <see cref="DisposeAsync"/>.</summary>
    protected void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new CohortException(ErrorCodes.Disposed, $"Resource {Name} is closed.");
        }
    }

    private TTx GetOrBegin(TransactionContext tx)
    {
        if (_transactions.TryGetValue(tx.Id, out var state))
        {
            return state;
        }

        if (_finished.TryGetValue(tx.Id, out var outcome))
        {
            throw outcome.Committed
                ? new CohortException(ErrorCodes.NotActive, $"Transaction {tx.Id} has already committed here.", isTransient: false)
                : new CohortException(outcome.Wounded ? ErrorCodes.Wounded : ErrorCodes.Aborted, $"Transaction {tx.Id} was aborted: {outcome.Reason}.");
        }

        var created = _transactions.GetOrAdd(tx.Id, static (id, arg) => arg.Engine.CreateTransaction(id, arg.Deadline), (Engine: this, tx.Deadline));
        if (_finished.TryGetValue(tx.Id, out var finished))
        {
            // The transaction finished (an abort raced with its first operation, or a misbehaving client
            // sent operations concurrently with its commit): do not let a fresh state live on as an orphan.
            AbortActive(created, finished.Committed ? "the transaction has already committed" : finished.Reason ?? "aborted");
        }

        return created;
    }

    private static void ThrowUnlessActive(TTx state)
    {
        switch (state.State)
        {
            case TxState.Active:
                if (state.Locks.IsWounded)
                {
                    throw new CohortException(ErrorCodes.Wounded, $"Transaction {state.Id} was wounded by older transaction {state.Locks.WoundedBy} and must abort.");
                }

                return;
            case TxState.Aborted:
                throw new CohortException(
                    state.Locks.IsWounded ? ErrorCodes.Wounded : ErrorCodes.Aborted,
                    $"Transaction {state.Id} was aborted: {state.AbortReason}.");
            default:
                throw new CohortException(ErrorCodes.NotActive, $"Transaction {state.Id} is {state.State.ToString().ToLowerInvariant()} and takes no more operations.", isTransient: false);
        }
    }

    private void OnWounded(LockOwner owner)
    {
        if (_transactions.TryGetValue(owner.Id, out var state))
        {
            AbortActive(state, $"wounded by older transaction {owner.WoundedBy}");
        }
    }

    private void AbortActive(TTx state, string reason)
    {
        lock (state.Sync)
        {
            if (state.State == TxState.Active)
            {
                AbortActiveLocked(state, reason);
            }
        }
    }

    // Caller holds state.Sync and state.State is Active (or ReadOnlyPrepared: its outcome is logged by the caller).
    private void AbortActiveLocked(TTx state, string reason)
    {
        state.State = TxState.Aborted;
        state.AbortReason = reason;
        CompleteAbort(state);
    }

    // Everything that follows an abort once the state says Aborted: release locks and engine-held
    // resources, wake readers waiting on the transaction's markers, remember the outcome, forget it.
    private void CompleteAbort(TTx state)
    {
        state.CancelRunning();
        Locks.ReleaseAll(state.Locks);
        OnDiscarded(state);
        state.Marker?.Resolve();
        Remember(state.Id, new Outcome(false, default, state.AbortReason, state.Locks.IsWounded));
        _transactions.TryRemove(state.Id, out _);
        Log.Aborted(Logger, Name, state.Id, state.AbortReason ?? "aborted");
    }

    private Vote FailPrepare(TTx state, Exception error)
    {
        var reason = $"the log could not record the prepare: {error.Message}";
        lock (_stateLock)
        {
            if (state.Marker is { } marker)
            {
                OnPreparedAborted(state, marker);
            }

            state.State = TxState.Aborted;
            state.AbortReason = reason;
        }

        CompleteAbort(state);
        return Vote.No(reason);
    }

    // Caller holds state.Sync and state is Active. Marks the locks prepared (never wounded from now on);
    // if a wound got there first, aborts the transaction and returns why.
    private string? FreezeOrAbort(TTx state)
    {
        if (Locks.TryMarkPrepared(state.Locks))
        {
            return null;
        }

        var reason = state.Locks.IsWounded ? $"wounded by older transaction {state.Locks.WoundedBy}" : "aborted";
        AbortActiveLocked(state, reason);
        return reason;
    }

    // Caller holds state.Sync; state is Active without writes. Votes read-only at the clock's reading, which is later
    // than every version the transaction read here (the clock observed each commit it installed). Returns null when
    // the transaction keeps its locks: then its read-only prepare record is appended (state.Durable) and the vote
    // waits for it.
    private Vote? PrepareReadOnly(TTx state, PrepareInfo info)
    {
        if (!info.KeepReadLocks || Executor.IsPlanted(PlantedBug.ReadOnlyReleasesAtPrepare))
        {
            return Vote.ReadOnly(FinishReadOnly(state, Clock.Now()));
        }

        // Another participant writes: the locks stay until the outcome arrives, and nobody may wound them meanwhile
        // (a wound would release them early, and the transaction may already have committed elsewhere).
        if (FreezeOrAbort(state) is { } refused)
        {
            return Vote.No(refused);
        }

        // And they are logged before the vote: a restart that forgot them would let a writer commit under this
        // transaction's reads before the coordinator decides, and the transaction then commit above that writer.
        try
        {
            AppendReadOnlyPrepare(state, info);
        }
        catch (Exception e) when (e is CohortException or ArgumentOutOfRangeException)
        {
            return FailPrepare(state, e);
        }

        return null;
    }

    // Caller holds state.Sync; state is Active without writes, or ReadOnlyPrepared.
    private HlcTimestamp FinishReadOnly(TTx state, HlcTimestamp timestamp)
    {
        if (state.State == TxState.ReadOnlyPrepared && state.Durable is not null)
        {
            // Its prepare record is logged: so is the outcome, without waiting. Lost in a crash, the transaction comes
            // back holding its read locks and asks the coordinator; nothing logged after this record (a writer's
            // commit under those locks) can survive without it.
            AppendOutcomeLazily(CommitRecord, state.Id, timestamp);
        }

        state.State = TxState.Committed;
        state.CommitTimestamp = timestamp;
        Locks.ReleaseAll(state.Locks);
        Remember(state.Id, new Outcome(true, timestamp, null, false, ReadOnly: true));
        _transactions.TryRemove(state.Id, out _);
        return timestamp;
    }

    private void FinishCommit(TTx state)
    {
        // Only the holder of the transaction's gate moves it out of Committing, so no state.Sync here
        // (taking it inside _stateLock would invert the lock order used by the Append methods).
        lock (_stateLock)
        {
            if (state.State != TxState.Committing)
            {
                return;
            }

            InstallCommit(state, state.CommitTimestamp, state.Marker);
            state.State = TxState.Committed;

            // Remembered in the same step as the install: a snapshot taken in between would otherwise hold the
            // writes but not the outcome, and a repeated one-phase commit after a restart would read "unknown".
            Remember(state.Id, new Outcome(true, state.CommitTimestamp, null, false));
        }

        Locks.ReleaseAll(state.Locks);
        state.Marker?.Resolve();
        _transactions.TryRemove(state.Id, out _);
        Log.Committed(Logger, Name, state.Id, state.CommitTimestamp);
    }

    private void Remember(TxId id, Outcome outcome) => _finished.TryAdd(id, outcome);

    private static HlcTimestamp Max(HlcTimestamp a, HlcTimestamp b) => a > b ? a : b;

    private readonly record struct Outcome(bool Committed, HlcTimestamp Timestamp, string? Reason, bool Wounded, bool ReadOnly = false);
}
