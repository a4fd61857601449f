using Cohort.Core;
using Npgsql;

namespace Cohort.Postgres;

/// <content>
/// A batch that ends with prepare: the last statement, the audit row and PREPARE TRANSACTION go to PostgreSQL in one
/// round trip (BEGIN too, for a one-statement batch), so a two-phase write costs two round trips, as a hand-written
/// PREPARE TRANSACTION loop does.
/// </content>
public sealed partial class PostgresEngine
{
    /// <inheritdoc/>
    public async ValueTask<(IReadOnlyList<Value> Results, Vote Vote)> ApplyAndPrepareAsync(TransactionContext tx, IReadOnlyList<Operation> operations, PrepareInfo info, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operations);
        ThrowIfDisposed();
        var results = new List<Value>(operations.Count);
        if (operations.Count == 0)
        {
            return (results, await PrepareAsync(tx.Id, info, cancellationToken).ConfigureAwait(false));
        }

        for (var i = 0; i < operations.Count - 1; i++)
        {
            results.Add(await ApplyAsync(tx, operations[i], cancellationToken).ConfigureAwait(false));
        }

        var last = operations[^1];
        var (text, parameters) = ParseOperation(last);
        if (text.TrimStart().StartsWith("SELECT", StringComparison.OrdinalIgnoreCase))
        {
            // Maybe read-only: let prepare find out (and vote ReadOnly) instead of preparing an empty transaction.
            results.Add(await ApplyAsync(tx, last, cancellationToken).ConfigureAwait(false));
            var readVote = await PrepareAsync(tx.Id, info, cancellationToken).ConfigureAwait(false);
            return (readVote.IsNo ? [] : results, readVote);
        }

        if (_finished.TryGetValue(tx.Id, out var outcome))
        {
            throw Finished(tx.Id, outcome);
        }

        var t = _active.GetOrAdd(tx.Id, static id => new PgTransaction(id));
        await t.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            t.Deadline = tx.Deadline;
            if (t.State != PgTransactionState.Active || t.DoubtfulBackend is not null)
            {
                throw Finished(tx.Id, t.State == PgTransactionState.Active ? PgTransactionState.Aborted : t.State);
            }

            using var deadline = await StatementDeadlineAsync(tx, t, cancellationToken).ConfigureAwait(false);
            if (!await TakePrepareSlotAsync(deadline.Token).ConfigureAwait(false))
            {
                await RollbackActiveAsync(t, "no prepared-transaction slot on the server").ConfigureAwait(false);
                throw new CohortException(ErrorCodes.Unavailable, NoSlot(tx.Id), isTransient: true);
            }

            try
            {
                return await RunAndPrepareAsync(tx, t, last, text, parameters, results, info, deadline, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                // Counted as in flight until it counts as prepared (or is not prepared at all).
                EndPrepare();
            }
        }
        finally
        {
            t.Gate.Release();
        }
    }

    // The batch's last statement, the audit row and PREPARE TRANSACTION in one round trip, holding a server slot.
    private async Task<(IReadOnlyList<Value> Results, Vote Vote)> RunAndPrepareAsync(
        TransactionContext tx, PgTransaction t, Operation last, string text, Value[] parameters, List<Value> results, PrepareInfo info, CancellationTokenSource deadline, CancellationToken cancellationToken)
    {
        var gid = GidOf(tx.Id);
        var audited = new List<Value>(t.Operations) { last.ToValue() };
        var backend = 0;
        Value result;
        try
        {
            t.Connection ??= await _dataSource.OpenConnectionAsync(deadline.Token).ConfigureAwait(false);
            backend = t.Connection.ProcessID;
            (result, _) = await ExecuteAsync(
                t.Connection,
                t.Begun ? [] : BeginCommands,
                text,
                parameters,
                deadline.Token,
                AuditInsert(gid, tx.Id, audited),
                new NpgsqlBatchCommand($"PREPARE TRANSACTION {Literal(gid)}")).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            if (!await IsPreparedAsync(gid).ConfigureAwait(false))
            {
                await RollbackActiveAsync(t, e.Message).ConfigureAwait(false);
                throw t.Cancel.IsCancellationRequested
                    ? new CohortException(ErrorCodes.Aborted, $"{Name}: transaction {tx.Id} was aborted while its statement ran.", isTransient: false, e)
                    : new CohortException(ErrorCodes.LockTimeout, $"{Name}: transaction {tx.Id} reached its deadline while its statement waited.", isTransient: true, e);
            }

            // The deadline (or an abort) fired as PREPARE finished: it is prepared, and an abort will find it.
            Log.InDoubtResolved(_logger, Name, tx.Id, "PREPARE TRANSACTION (cancelled)", "prepared: " + e.Message);
            await MarkPreparedAsync(t, last, info).ConfigureAwait(false);
            return (results.Append(Value.Null).ToList(), Vote.Yes(t.PrepareTimestamp));
        }
        catch (Exception e) when (backend != 0 && PgErrors.IsConnectionFailure(e))
        {
            // The PREPARE may or may not have run: read the answer from the server once the old backend is gone.
            await ReleaseConnectionAsync(t).ConfigureAwait(false);
            t.Begun = true;
            t.Operations.Add(last.ToValue());
            t.DoubtfulBackend = backend;
            t.DoubtfulIsPrepare = true;
            t.Coordinator = info.Coordinator;
            await ResolveDoubtAsync(t, CancellationToken.None).ConfigureAwait(false);
            return t.State == PgTransactionState.Prepared
                ? (results.Append(Value.Null).ToList(), Vote.Yes(t.PrepareTimestamp))
                : ([], Vote.No($"{Name}: the connection failed during the statement and PREPARE TRANSACTION of {tx.Id}, and nothing was prepared ({e.Message})"));
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or IOException or InvalidOperationException or TimeoutException)
        {
            await RollbackActiveAsync(t, e.Message).ConfigureAwait(false);
            if (e is OperationCanceledException)
            {
                throw;
            }

            throw PgErrors.Map(Name, e);
        }

        await MarkPreparedAsync(t, last, info).ConfigureAwait(false);
        Log.Prepared(_logger, Name, tx.Id, gid);
        results.Add(result);
        return (results, Vote.Yes(t.PrepareTimestamp));
    }

    // The batch's last statement ran and PREPARE TRANSACTION took: the connection goes back, the transaction waits for phase two.
    private async Task MarkPreparedAsync(PgTransaction t, Operation last, PrepareInfo info)
    {
        t.Begun = true;
        t.Operations.Add(last.ToValue());
        await ReleaseConnectionAsync(t).ConfigureAwait(false);
        t.State = PgTransactionState.Prepared;
        t.PrepareTimestamp = Clock.Now();
        t.Coordinator = info.Coordinator;
    }

    // Whether the gid is prepared now; false when that cannot be read (the caller then rolls back, which is safe either way).
    private async Task<bool> IsPreparedAsync(string gid)
    {
        try
        {
            await using var connection = await _internalSource.OpenConnectionAsync(CancellationToken.None).ConfigureAwait(false);
            return await ScalarAsync<bool>(connection, "SELECT EXISTS (SELECT 1 FROM pg_prepared_xacts WHERE gid = $1)", [Value.From(gid)], CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException)
        {
            return false;
        }
    }
}
