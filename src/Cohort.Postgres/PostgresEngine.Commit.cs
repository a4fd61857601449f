using System.Data;
using Cohort.Core;
using Npgsql;
using NpgsqlTypes;

namespace Cohort.Postgres;

/// <content>Prepare, commit and abort: PREPARE TRANSACTION, COMMIT PREPARED, ROLLBACK PREPARED, and the one-phase path.</content>
public sealed partial class PostgresEngine
{
    private static readonly TimeSpan BackendGoneWait = TimeSpan.FromSeconds(10);

    /// <inheritdoc/>
    public async ValueTask<Vote> PrepareAsync(TxId tx, PrepareInfo info, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        if (!_active.TryGetValue(tx, out var t))
        {
            if (!_finished.TryGetValue(tx, out var outcome))
            {
                return Vote.No($"{Name}: transaction {tx} is unknown here (its work was lost, for instance in a restart)");
            }

            // A repeated prepare (its first answer was lost, or arrived late) gets the vote it had: No only if aborted.
            return outcome == PgTransactionState.Aborted ? Vote.No($"{Name}: transaction {tx} was aborted") : RepeatedVote(tx);
        }

        await t.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (t.DoubtfulBackend is not null)
            {
                await ResolveDoubtAsync(t, cancellationToken).ConfigureAwait(false);
            }

            switch (t.State)
            {
                case PgTransactionState.Prepared:
                    return Vote.Yes(t.PrepareTimestamp);
                case PgTransactionState.Aborted:
                    return Vote.No($"{Name}: transaction {tx} was aborted");
                case PgTransactionState.Committed:
                    return RepeatedVote(tx);
            }

            if (t.Connection is null || !t.Begun)
            {
                _active.TryRemove(tx, out _);
                return RememberReadOnly(tx);
            }

            if (PgSessionStatus.IsOutsideTransaction(t.Connection))
            {
                // Never vote Yes for a transaction that is no longer Cohort's (ApplyAsync checks after each statement too).
                await RollbackActiveAsync(t, "the PostgreSQL transaction was ended by a statement").ConfigureAwait(false);
                return Vote.No($"{ErrorCodes.BadOperation}: {TransactionLost(tx).Message}");
            }

            if (!t.MayHaveWritten && await HasNoWritesAsync(t.Connection, cancellationToken).ConfigureAwait(false))
            {
                // Only reads ran (no transaction id was ever assigned): nothing to prepare; locks go with the transaction.
                await TryExecuteAsync(t.Connection, "ROLLBACK").ConfigureAwait(false);
                await ReleaseConnectionAsync(t).ConfigureAwait(false);
                t.State = PgTransactionState.Committed;
                _active.TryRemove(tx, out _);
                return RememberReadOnly(tx);
            }

            var gid = GidOf(tx);
            var backend = t.Connection.ProcessID;
            bool slot;
            using (var deadline = CancelledAt(t.Deadline, cancellationToken))
            {
                slot = await TakePrepareSlotAsync(deadline.Token).ConfigureAwait(false);
            }

            if (!slot)
            {
                await RollbackActiveAsync(t, "no prepared-transaction slot on the server").ConfigureAwait(false);
                return Vote.No($"{ErrorCodes.Unavailable}: {NoSlot(tx)}");
            }

            // Counted as in flight until it counts as prepared (or is not prepared at all).
            try
            {
                return await PrepareTakenAsync(t, gid, backend, info, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                EndPrepare();
            }
        }
        finally
        {
            t.Gate.Release();
        }
    }

    // PREPARE TRANSACTION of an active transaction that holds a server slot.
    private async Task<Vote> PrepareTakenAsync(PgTransaction t, string gid, int backend, PrepareInfo info, CancellationToken cancellationToken)
    {
        var tx = t.Id;
        try
        {
            await using var batch = new NpgsqlBatch(t.Connection);
            batch.BatchCommands.Add(AuditInsert(gid, tx, t.Operations));
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"PREPARE TRANSACTION {Literal(gid)}"));
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (PgErrors.IsConnectionFailure(e) || e is OperationCanceledException)
        {
            // The PREPARE may or may not have happened: find out on the server once the old backend is gone.
            await ReleaseConnectionAsync(t).ConfigureAwait(false);
            t.DoubtfulBackend = backend;
            t.DoubtfulIsPrepare = true;
            t.Coordinator = info.Coordinator;
            await ResolveDoubtAsync(t, CancellationToken.None).ConfigureAwait(false);
            return t.State == PgTransactionState.Prepared
                ? Vote.Yes(t.PrepareTimestamp)
                : Vote.No($"{Name}: the connection failed during PREPARE TRANSACTION and nothing was prepared ({e.Message})");
        }
        catch (NpgsqlException e)
        {
            // Deferred constraints and serialization checks run at PREPARE: PostgreSQL rolled the transaction back.
            await RollbackActiveAsync(t, e.Message).ConfigureAwait(false);
            var error = PgErrors.Map(Name, e);
            return Vote.No($"{error.Code}: {error.Message}");
        }

        await ReleaseConnectionAsync(t).ConfigureAwait(false);
        t.State = PgTransactionState.Prepared;
        t.PrepareTimestamp = Clock.Now();
        t.Coordinator = info.Coordinator;
        Log.Prepared(_logger, Name, tx, gid);
        return Vote.Yes(t.PrepareTimestamp);
    }

    // A read-only vote: the transaction is finished here (as committed; it wrote nothing), and a repeated prepare gets this vote again.
    private Vote RememberReadOnly(TxId tx)
    {
        var vote = Vote.ReadOnly(Clock.Now());
        _readOnlyVotes.Set(tx, vote.PrepareTimestamp);
        Remember(tx, PgTransactionState.Committed);
        return vote;
    }

    // The vote of a transaction that finished committed here: read-only again if it voted so; otherwise it was prepared
    // (or committed in one phase), and Yes is the only answer that does not contradict the commit. Its timestamp is the
    // clock now, later than its commit, which phase two ignores for a committed transaction.
    private Vote RepeatedVote(TxId tx) =>
        _readOnlyVotes.TryGetValue(tx, out var readTimestamp) ? Vote.ReadOnly(readTimestamp) : Vote.Yes(Clock.Now());

    /// <inheritdoc/>
    public async ValueTask CommitAsync(TxId tx, HlcTimestamp commitTimestamp, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        Clock.Observe(commitTimestamp);
        if (await EnterAsync(tx, cancellationToken).ConfigureAwait(false) is { } t)
        {
            try
            {
                switch (t.State)
                {
                    case PgTransactionState.Active:
                        throw new CohortException(ErrorCodes.NotActive, $"{Name}: transaction {tx} was never prepared; phase-two commit refused.", isTransient: false);
                    case PgTransactionState.Aborted:
                        throw Finished(tx, PgTransactionState.Aborted);
                    case PgTransactionState.Committed:
                        return;
                }

                await CommitPreparedAsync(tx, cancellationToken).ConfigureAwait(false);
                t.State = PgTransactionState.Committed;
                _active.TryRemove(tx, out _);
                return;
            }
            finally
            {
                t.Gate.Release();
            }
        }

        if (_finished.TryGetValue(tx, out var outcome))
        {
            if (outcome == PgTransactionState.Aborted)
            {
                throw Finished(tx, outcome);
            }

            return;
        }

        // Not known to this process (prepared before a restart): the server knows.
        await CommitPreparedAsync(tx, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<HlcTimestamp> CommitOnePhaseAsync(TxId tx, HlcTimestamp commitTimestamp, CancellationToken cancellationToken)
    {
        await CommitOnePhaseCoreAsync(tx, commitTimestamp, cancellationToken).ConfigureAwait(false);

        // PostgreSQL keeps no Cohort timestamps: the commit is ordered at this clock reading, which has observed the
        // coordinator's timestamp and every earlier one of this resource.
        return Clock.Now();
    }

    private async ValueTask CommitOnePhaseCoreAsync(TxId tx, HlcTimestamp commitTimestamp, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        Clock.Observe(commitTimestamp);
        if (await EnterAsync(tx, cancellationToken).ConfigureAwait(false) is { } t)
        {
            try
            {
                switch (t.State)
                {
                    case PgTransactionState.Committed:
                        return;
                    case PgTransactionState.Aborted:
                        throw Finished(tx, PgTransactionState.Aborted);
                    case PgTransactionState.Prepared:
                        await CommitPreparedAsync(tx, cancellationToken).ConfigureAwait(false);
                        t.State = PgTransactionState.Committed;
                        _active.TryRemove(tx, out _);
                        return;
                }

                await CommitActiveAsync(t, cancellationToken).ConfigureAwait(false);
                return;
            }
            finally
            {
                t.Gate.Release();
            }
        }

        var known = _finished.TryGetValue(tx, out var outcome);
        if (known && outcome == PgTransactionState.Committed)
        {
            return;
        }

        // Unknown here, or aborted by a message that came after a restart: it committed earlier exactly when its audit
        // row is there (the row commits with the transaction); otherwise its work was lost and it never committed.
        if (await AuditRowExistsAsync(GidOf(tx), cancellationToken).ConfigureAwait(false))
        {
            Remember(tx, PgTransactionState.Committed);
            return;
        }

        if (known)
        {
            throw Finished(tx, outcome);
        }

        throw new CohortException(ErrorCodes.UnknownTransaction, $"{Name}: transaction {tx} is unknown here and did not commit (its work was lost, for instance in a restart).", isTransient: false);
    }

    /// <inheritdoc/>
    public async ValueTask AbortAsync(TxId tx, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        if (_active.TryGetValue(tx, out var t))
        {
            // A statement waiting for a lock would hold the gate until the deadline: stop it now.
            if (t.State == PgTransactionState.Active && t.DoubtfulBackend is null)
            {
                await t.Cancel.CancelAsync().ConfigureAwait(false);
            }

            await t.Gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                if (t.DoubtfulBackend is not null)
                {
                    try
                    {
                        await ResolveDoubtAsync(t, cancellationToken).ConfigureAwait(false);
                    }
                    catch (CohortException e)
                    {
                        // The server cannot be asked: whatever was prepared stays for the recovery scan to roll back.
                        Log.AbortFailed(_logger, Name, tx, e.Message);
                        return;
                    }
                }

                switch (t.State)
                {
                    case PgTransactionState.Active:
                        await RollbackActiveAsync(t, "aborted").ConfigureAwait(false);
                        return;
                    case PgTransactionState.Committed:
                        Log.AbortAfterCommit(_logger, Name, tx);
                        return;
                    case PgTransactionState.Aborted:
                        return;
                }

                if (await RollbackPreparedAsync(tx, cancellationToken).ConfigureAwait(false))
                {
                    // Still prepared otherwise: GetPrepared keeps listing it, and the termination sweep aborts it again.
                    t.State = _finished.TryGetValue(tx, out var final) ? final : PgTransactionState.Aborted;
                    _active.TryRemove(tx, out _);
                }

                return;
            }
            finally
            {
                t.Gate.Release();
            }
        }

        if (_finished.TryGetValue(tx, out var outcome))
        {
            if (outcome == PgTransactionState.Committed)
            {
                Log.AbortAfterCommit(_logger, Name, tx);
            }

            return;
        }

        if (_recovered.ContainsKey(tx))
        {
            // Prepared before a restart (found by the recovery scan).
            await RollbackPreparedAsync(tx, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Unknown: an abort that arrived before the transaction's first operation, which must then be refused.
        Remember(tx, PgTransactionState.Aborted);
    }

    // The transaction this process knows, its gate taken and any doubt about its last statement resolved; null when
    // it is not known here. The caller releases the gate.
    private async ValueTask<PgTransaction?> EnterAsync(TxId tx, CancellationToken cancellationToken)
    {
        if (!_active.TryGetValue(tx, out var t))
        {
            return null;
        }

        await t.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (t.DoubtfulBackend is not null)
            {
                await ResolveDoubtAsync(t, cancellationToken).ConfigureAwait(false);
            }

            return t;
        }
        catch
        {
            t.Gate.Release();
            throw;
        }
    }

    // COMMIT PREPARED; when the gid is gone, the audit row (visible only once the transaction committed) tells.
    private async Task CommitPreparedAsync(TxId tx, CancellationToken cancellationToken)
    {
        var gid = GidOf(tx);
        try
        {
            await RunOnPooledAsync($"COMMIT PREPARED {Literal(gid)}", cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedObject)
        {
            if (!await AuditRowExistsAsync(gid, cancellationToken).ConfigureAwait(false))
            {
                Remember(tx, PgTransactionState.Aborted);
                _recovered.TryRemove(tx, out _);
                throw new CohortException(ErrorCodes.Aborted, $"{Name}: transaction {tx} cannot commit: '{gid}' is not prepared and never committed (it was rolled back).", isTransient: false, e);
            }
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException)
        {
            throw PgErrors.Map(Name, e);
        }

        Remember(tx, PgTransactionState.Committed);
        _recovered.TryRemove(tx, out _);
        Log.Committed(_logger, Name, tx);
    }

    // ROLLBACK PREPARED, tolerating a gid that is gone; never throws. False when the server could not be told.
    private async Task<bool> RollbackPreparedAsync(TxId tx, CancellationToken cancellationToken)
    {
        var gid = GidOf(tx);
        try
        {
            await RunOnPooledAsync($"ROLLBACK PREPARED {Literal(gid)}", cancellationToken).ConfigureAwait(false);
            Remember(tx, PgTransactionState.Aborted);
            _recovered.TryRemove(tx, out _);
            Log.Aborted(_logger, Name, tx, "rolled back prepared");
            return true;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedObject)
        {
            _recovered.TryRemove(tx, out _);
            try
            {
                if (await AuditRowExistsAsync(gid, cancellationToken).ConfigureAwait(false))
                {
                    Remember(tx, PgTransactionState.Committed);
                    Log.AbortAfterCommit(_logger, Name, tx);
                    return true;
                }
            }
            catch (CohortException)
            {
                // Whether it had committed does not change what abort does: nothing.
            }

            Remember(tx, PgTransactionState.Aborted);
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or OperationCanceledException or CohortException)
        {
            Log.AbortFailed(_logger, Name, tx, e.Message);
            return false;
        }
    }

    // One phase: the audit row and COMMIT in one round trip.
    private async Task CommitActiveAsync(PgTransaction t, CancellationToken cancellationToken)
    {
        var connection = t.Connection;
        if (connection is null || !t.Begun)
        {
            t.State = PgTransactionState.Committed;
            _active.TryRemove(t.Id, out _);
            Remember(t.Id, PgTransactionState.Committed);
            return;
        }

        if (PgSessionStatus.IsOutsideTransaction(connection))
        {
            await RollbackActiveAsync(t, "the PostgreSQL transaction was ended by a statement").ConfigureAwait(false);
            throw TransactionLost(t.Id);
        }

        var backend = connection.ProcessID;
        try
        {
            await using var batch = new NpgsqlBatch(connection);
            batch.BatchCommands.Add(AuditInsert(GidOf(t.Id), t.Id, t.Operations));
            batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (PgErrors.IsConnectionFailure(e) || e is OperationCanceledException)
        {
            await ReleaseConnectionAsync(t).ConfigureAwait(false);
            t.DoubtfulBackend = backend;
            t.DoubtfulIsPrepare = false;
            await ResolveDoubtAsync(t, CancellationToken.None).ConfigureAwait(false);
            if (t.State == PgTransactionState.Committed)
            {
                return;
            }

            throw new CohortException(ErrorCodes.Aborted, $"{Name}: the connection failed during COMMIT of {t.Id} and it did not commit ({e.Message}).", isTransient: true, e);
        }
        catch (NpgsqlException e)
        {
            await RollbackActiveAsync(t, e.Message).ConfigureAwait(false);
            throw PgErrors.Map(Name, e);
        }

        await ReleaseConnectionAsync(t).ConfigureAwait(false);
        t.State = PgTransactionState.Committed;
        _active.TryRemove(t.Id, out _);
        Remember(t.Id, PgTransactionState.Committed);
        Log.Committed(_logger, Name, t.Id);
    }

    // After a connection failed mid-PREPARE or mid-COMMIT: once the server process that ran it is gone, the server's
    // state is final — the gid in pg_prepared_xacts (prepare) or the audit row (commit) says what happened.
    private async Task ResolveDoubtAsync(PgTransaction t, CancellationToken cancellationToken)
    {
        var backend = t.DoubtfulBackend!.Value;
        try
        {
            await using var connection = await _internalSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            var deadline = _time.GetUtcNow() + BackendGoneWait;
            while (await ScalarAsync<bool>(connection, "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)", [Value.From((long)backend)], cancellationToken).ConfigureAwait(false))
            {
                if (_time.GetUtcNow() > deadline)
                {
                    throw PgErrors.Unavailable(Name, new TimeoutException($"server process {backend} of {t.Id} is still running"));
                }

                await Task.Delay(TimeSpan.FromMilliseconds(50), _time, cancellationToken).ConfigureAwait(false);
            }

            var gid = GidOf(t.Id);
            if (t.DoubtfulIsPrepare)
            {
                var prepared = await ScalarAsync<bool>(connection, "SELECT EXISTS (SELECT 1 FROM pg_prepared_xacts WHERE gid = $1)", [Value.From(gid)], cancellationToken).ConfigureAwait(false);
                t.DoubtfulBackend = null;
                if (prepared)
                {
                    t.State = PgTransactionState.Prepared;
                    t.PrepareTimestamp = Clock.Now();
                }
                else
                {
                    t.State = PgTransactionState.Aborted;
                    _active.TryRemove(t.Id, out _);
                    Remember(t.Id, PgTransactionState.Aborted);
                }

                Log.InDoubtResolved(_logger, Name, t.Id, "PREPARE TRANSACTION", prepared ? "prepared" : "not prepared");
            }
            else
            {
                var committed = await ScalarAsync<bool>(connection, $"SELECT EXISTS (SELECT 1 FROM {AuditTable} WHERE gid = $1)", [Value.From(gid)], cancellationToken).ConfigureAwait(false);
                t.DoubtfulBackend = null;
                t.State = committed ? PgTransactionState.Committed : PgTransactionState.Aborted;
                _active.TryRemove(t.Id, out _);
                Remember(t.Id, t.State);
                Log.InDoubtResolved(_logger, Name, t.Id, "COMMIT", committed ? "committed" : "not committed");
            }
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException)
        {
            throw PgErrors.Unavailable(Name, e);
        }
    }

    private async Task<bool> AuditRowExistsAsync(string gid, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await _internalSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            return await ScalarAsync<bool>(connection, $"SELECT EXISTS (SELECT 1 FROM {AuditTable} WHERE gid = $1)", [Value.From(gid)], cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException)
        {
            throw PgErrors.Map(Name, e);
        }
    }

    private static async Task<bool> HasNoWritesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            return await ScalarAsync<bool>(connection, "SELECT txid_current_if_assigned() IS NULL", [], cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException)
        {
            // Let PREPARE find out what is wrong.
            return false;
        }
    }

    // The audit row goes into the transaction itself, with its final status: PostgreSQL shows it to nobody until the
    // transaction commits (COMMIT PREPARED, or COMMIT in one phase), and never if it rolls back, so "committed" is true
    // from the first moment anyone can read it. (The seed wrote "prepared" and updated it after the commit: a second row
    // version per transaction, and a window in which a committed transaction's row still said "prepared".)
    // The row also proves, on the server, that the transaction is still the one Cohort began: the setting made after
    // BEGIN is gone if a statement committed or rolled it back (even AND CHAIN), and then the WHERE clause fails with
    // LostTransactionMarker, so the PREPARE TRANSACTION or COMMIT after it in the batch never runs. (The cast of a
    // CASE on a stable function is evaluated per execution, never folded into a constant when the statement is planned.)
    private NpgsqlBatchCommand AuditInsert(string gid, TxId tx, List<Value> operations)
    {
        var insert = new NpgsqlBatchCommand(
            $"INSERT INTO {AuditTable} (gid, tx_id, resource, status, payload) SELECT $1, $2, $3, 'committed', $4 "
            + $"WHERE (CASE WHEN current_setting('{OwnershipSetting}', true) = 'on' THEN 'true' ELSE '{LostTransactionMarker}' END)::boolean");
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = gid });
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tx.ToString() });
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = GlobalName });
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ValueJson.Serialize(Value.List(System.Collections.Immutable.ImmutableArray.CreateRange(operations))), NpgsqlDbType = NpgsqlDbType.Jsonb });
        return insert;
    }

    private async Task RunOnPooledAsync(string text, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await _internalSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await using var command = new NpgsqlCommand(text, connection);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (attempt == 1 && PgErrors.IsConnectionFailure(e))
            {
                // Pooled connections die together when the server restarts: drop them all and try once more on a new one.
                _internalSource.Clear();
                _dataSource.Clear();
            }
        }
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string text, Value[] parameters, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(text, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(parameter.Kind == ValueKind.String ? new NpgsqlParameter<string> { TypedValue = parameter.AsString() } : PgValues.Parameter(parameter));
        }

        var result = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return (T)result!;
    }

    private static async Task ReleaseConnectionAsync(PgTransaction t)
    {
        if (t.Connection is { } connection)
        {
            t.Connection = null;
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    // A gid is made of a TxId and a validated resource name; quoting anyway keeps the SQL text safe by construction.
    private static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";
}
