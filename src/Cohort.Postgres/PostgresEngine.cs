using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Data;
using Cohort.Core;
using Cohort.Sql;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Cohort.Postgres;

/// <summary>
/// A <c>pg:*</c> resource: a PostgreSQL database taking part in Cohort transactions through real two-phase commit.
/// Each transaction holds one pooled connection with an open PostgreSQL transaction until prepare, one-phase commit or
/// abort. Prepare writes the transaction's <c>distributed_tx</c> audit row and runs
/// <c>PREPARE TRANSACTION 'cohort:&lt;txid&gt;:&lt;resource&gt;'</c>; phase two is <c>COMMIT PREPARED</c> or
/// <c>ROLLBACK PREPARED</c>. Prepared transactions this process did not start (a crash, a restart) are listed by
/// <see cref="GetPrepared"/> so the participant host resolves them with the coordinator (the Citus method).
/// </summary>
/// <remarks>
/// Operations are <c>{"sql": text, "params": [...]}</c> (one statement, <c>$n</c> placeholders) or a seed payload
/// <c>{"table", "operation", "values", "where"}</c>; answers are <c>{"columns", "rows", "affected"}</c> as the SQL
/// engine gives them. Isolation and locking are PostgreSQL's own (the database's default isolation level); a
/// deadlock or serialization failure is reported as <c>wounded</c>, a wait past the deadline as <c>lock_timeout</c>.
/// </remarks>
public sealed partial class PostgresEngine : ITransactionalEngine, IPipelinedParticipant
{
    /// <summary>The audit table every pg resource writes one row per transaction into.</summary>
    public const string AuditTable = "distributed_tx";

    /// <summary>The prefix of every global transaction id Cohort prepares.</summary>
    public const string GidPrefix = "cohort:";

    private const int FinishedMemory = 100_000;

    // A transaction-local setting Cohort sets right after its BEGIN. It vanishes with the transaction (COMMIT, ROLLBACK,
    // even COMMIT AND CHAIN, which starts a new one), so the audit row written at prepare and commit can check, on the
    // server and in the same round trip, that the transaction it is about to prepare or commit is still Cohort's.
    private const string OwnershipSetting = "cohort.transaction";

    /// <summary>
    /// The text of the error PostgreSQL raises when the audit row finds that the transaction it would prepare or commit is
    /// not the one Cohort began (see <see cref="AuditInsert"/>); <see cref="PgErrors"/> turns it into a clear refusal.
    /// </summary>
    internal const string LostTransactionMarker = "cohort: this is not the transaction Cohort began";

    // Every transaction starts with these, sent with its first statement.
    private static readonly string[] BeginCommands = ["BEGIN", $"SET LOCAL {OwnershipSetting} = 'on'"];

    private readonly PostgresOptions _options;
    private readonly NpgsqlDataSource _dataSource;

    // Connections that run only Cohort's own fixed statements (COMMIT/ROLLBACK PREPARED, audit lookups, recovery scans):
    // no session state to reset, so no DISCARD ALL before each use. User statements run on _dataSource, which resets.
    private readonly NpgsqlDataSource _internalSource;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<TxId, PgTransaction> _active = new();
    private readonly RecentOutcomes<PgTransactionState> _finished = new(FinishedMemory);

    // The finished transactions that voted read-only (remembered as committed in _finished too), with their vote's
    // timestamp: a repeated prepare gets the vote it got the first time, not Yes.
    private readonly RecentOutcomes<HlcTimestamp> _readOnlyVotes = new(FinishedMemory);
    private readonly ConcurrentDictionary<TxId, PreparedTransaction> _recovered = new();
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;

    private PostgresEngine(string name, PostgresOptions options, NpgsqlDataSource dataSource, NpgsqlDataSource internalSource, ILogger logger)
    {
        Name = name;
        GlobalName = options.GlobalName ?? name;
        _options = options;
        _dataSource = dataSource;
        _internalSource = internalSource;
        _logger = logger;
        _time = options.TimeProvider;
        Clock = new HybridClock(_time);
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>The name written into this resource's global transaction ids and audit rows.</summary>
    public string GlobalName { get; }

    /// <inheritdoc/>
    public HybridClock Clock { get; }

    /// <summary>The database this resource writes to.</summary>
    public string Database { get; private set; } = string.Empty;

    /// <summary>Number of transactions not yet finished (active or prepared by this process).</summary>
    public int ActiveTransactionCount => _active.Count;

    /// <summary>
    /// Connects to the database, checks that two-phase commit is enabled (<c>max_prepared_transactions</c> &gt; 0), creates
    /// the audit table if missing, finds the prepared transactions a previous process left, and starts the recovery scan.
    /// </summary>
    /// <exception cref="CohortException"><c>bad_operation</c> for a bad resource name, <c>pg_misconfigured</c> when
    /// prepared transactions are disabled, <c>unavailable</c> when the server cannot be reached.</exception>
    public static async Task<PostgresEngine> OpenAsync(string resource, PostgresOptions options, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ValidateName(resource);
        options.Validate();
        string connectionString;
        NpgsqlConnectionStringBuilder builder;
        try
        {
            // A postgres:// URI becomes a connection string here; a bad DSN of either form is refused with its reason.
            connectionString = PostgresDsn.ToConnectionString(options.ConnectionString);
            builder = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = options.TransactionPoolSize, Enlist = false };
        }
        catch (CohortException e)
        {
            throw new CohortException(e.Code, $"{resource}: {e.Message}", isTransient: false, e);
        }
        catch (ArgumentException e)
        {
            throw new CohortException(ErrorCodes.BadOperation, $"{resource}: the DSN is not a valid connection string: {e.Message}", isTransient: false, e);
        }

        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = "cohort " + resource;
        }

        if (!SetsMaxAutoPrepare(connectionString))
        {
            // Every transaction runs the same few statements (its audit row, and usually the application's own): prepared
            // on each pooled connection after a few uses, PostgreSQL parses and plans them once instead of every time.
            builder.MaxAutoPrepare = PostgresOptions.DefaultMaxAutoPrepare;
        }

        var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        builder.NoResetOnClose = true;

        // Cohort's own statements name one prepared transaction each (COMMIT PREPARED 'cohort:…'): never worth preparing.
        builder.MaxAutoPrepare = 0;
        builder.MaxPoolSize = options.MaxPoolSize - options.TransactionPoolSize;
        builder.ApplicationName += " (internal)";
        var engine = new PostgresEngine(resource, options, dataSource, NpgsqlDataSource.Create(builder.ConnectionString), logger ?? NullLogger.Instance);
        try
        {
            await engine.InitializeAsync(cancellationToken).ConfigureAwait(false);
            return engine;
        }
        catch
        {
            await engine.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    // Whether the DSN says how many statements to prepare (Max Auto Prepare, with or without spaces, any case): it then wins.
    private static bool SetsMaxAutoPrepare(string connectionString)
    {
        var parsed = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        return parsed.Keys.Cast<string>().Any(k => k.Replace(" ", string.Empty, StringComparison.Ordinal).Equals("MaxAutoPrepare", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The global transaction id of <paramref name="txId"/> on this resource.</summary>
    public string GidOf(TxId txId) => GidPrefix + txId.ToString() + ":" + GlobalName;

    /// <inheritdoc/>
    public async ValueTask<Value> ApplyAsync(TransactionContext tx, Operation operation, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var (text, parameters) = ParseOperation(operation);
        if (_finished.TryGetValue(tx.Id, out var outcome))
        {
            throw Finished(tx.Id, outcome);
        }

        var t = _active.GetOrAdd(tx.Id, static id => new PgTransaction(id));
        await t.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            t.Deadline = tx.Deadline;
            if (_finished.TryGetValue(tx.Id, out outcome))
            {
                throw Finished(tx.Id, outcome);
            }

            if (t.State != PgTransactionState.Active)
            {
                throw Finished(tx.Id, t.State);
            }

            using var deadline = await StatementDeadlineAsync(tx, t, cancellationToken).ConfigureAwait(false);
            try
            {
                if (t.Connection is null)
                {
                    t.Connection = await _dataSource.OpenConnectionAsync(deadline.Token).ConfigureAwait(false);
                }

                Value result;
                bool mayWrite;
                try
                {
                    (result, mayWrite) = await ExecuteAsync(t.Connection, t.Begun ? [] : BeginCommands, text, parameters, deadline.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (!t.Begun && PgErrors.IsConnectionFailure(e))
                {
                    // A pooled connection that died with a server restart: nothing ran yet, so start over once on a fresh one.
                    await t.Connection.DisposeAsync().ConfigureAwait(false);
                    _dataSource.Clear();
                    t.Connection = await _dataSource.OpenConnectionAsync(deadline.Token).ConfigureAwait(false);
                    (result, mayWrite) = await ExecuteAsync(t.Connection, BeginCommands, text, parameters, deadline.Token).ConfigureAwait(false);
                }

                if (PgSessionStatus.IsOutsideTransaction(t.Connection))
                {
                    // Second line of defence behind TransactionControl: the statement ended Cohort's transaction anyway. Its
                    // effects may already be committed; the Cohort transaction must not go on (the next statement would run
                    // outside any transaction) and aborts everywhere.
                    await RollbackActiveAsync(t, "a statement ended the PostgreSQL transaction").ConfigureAwait(false);
                    throw TransactionLost(tx.Id);
                }

                t.Begun = true;
                t.MayHaveWritten |= mayWrite;
                t.Operations.Add(operation.ToValue());
                return result;
            }
            catch (Exception e) when (e is NpgsqlException or OperationCanceledException or IOException or InvalidOperationException or TimeoutException)
            {
                // A failed statement leaves the PostgreSQL transaction unusable: the Cohort transaction ends with it.
                await RollbackActiveAsync(t, e.Message).ConfigureAwait(false);
                if (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
                {
                    throw;
                }

                if (e is OperationCanceledException)
                {
                    throw t.Cancel.IsCancellationRequested
                        ? new CohortException(ErrorCodes.Aborted, $"{Name}: transaction {tx.Id} was aborted while its statement ran.", isTransient: false, e)
                        : new CohortException(ErrorCodes.LockTimeout, $"{Name}: transaction {tx.Id} reached its deadline while its statement waited.", isTransient: true, e);
                }

                throw PgErrors.Map(Name, e);
            }
        }
        finally
        {
            t.Gate.Release();
        }
    }

    /// <inheritdoc/>
    public bool MayHaveWritten(TxId tx) => !_active.TryGetValue(tx, out var t) || t.MayHaveWritten;

    /// <inheritdoc/>
    /// <remarks>PostgreSQL keeps no history: the read sees the latest committed state in a read-only transaction, whatever <paramref name="snapshot"/> is.</remarks>
    public async ValueTask<Value> ReadAsync(HlcTimestamp snapshot, Operation operation, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var (text, parameters) = ParseOperation(operation);
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var (result, _) = await ExecuteAsync(connection, ["BEGIN TRANSACTION READ ONLY"], text, parameters, cancellationToken).ConfigureAwait(false);
                return result;
            }
            finally
            {
                await TryExecuteAsync(connection, "ROLLBACK").ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not (CohortException or OperationCanceledException))
        {
            throw PgErrors.Map(Name, e);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await StopRecoveryAsync().ConfigureAwait(false);
        foreach (var t in _active.Values)
        {
            // Open transactions roll back with their connections; prepared ones stay in PostgreSQL for recovery.
            await t.Cancel.CancelAsync().ConfigureAwait(false);
            if (t.Connection is { } connection)
            {
                t.Connection = null;
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }

        _active.Clear();
        _slots?.Leave(this);
        await _dataSource.DisposeAsync().ConfigureAwait(false);
        await _internalSource.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    // A token that fires at the transaction's deadline or when it is aborted; a transaction already past its deadline is
    // rolled back and refused.
    private async Task<CancellationTokenSource> StatementDeadlineAsync(TransactionContext tx, PgTransaction t, CancellationToken cancellationToken)
    {
        var remaining = tx.Deadline - _time.GetUtcNow();
        if (remaining <= TimeSpan.Zero)
        {
            await RollbackActiveAsync(t, "deadline passed").ConfigureAwait(false);
            throw new CohortException(ErrorCodes.Expired, $"{Name}: transaction {tx.Id} passed its deadline {tx.Deadline:O}.");
        }

        return CancelledAt(tx.Deadline, cancellationToken, t.Cancel.Token);
    }

    // A token that fires at deadline (at once when it has passed; never for DateTimeOffset.MaxValue) or with either token.
    private CancellationTokenSource CancelledAt(DateTimeOffset deadline, CancellationToken first, CancellationToken second = default)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(first, second);
        if (deadline != DateTimeOffset.MaxValue)
        {
            var remaining = deadline - _time.GetUtcNow();
            source.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
        }

        return source;
    }

    // Runs [prefix…;] statement [; trailing…] in one round trip and reads the statement's answer (prefix and trailing
    // commands return no rows).
    private static async Task<(Value Result, bool MayWrite)> ExecuteAsync(NpgsqlConnection connection, IReadOnlyList<string> prefix, string text, Value[] parameters, CancellationToken cancellationToken, params IEnumerable<NpgsqlBatchCommand> trailing)
    {
        await using var batch = new NpgsqlBatch(connection);
        foreach (var leading in prefix)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(leading));
        }

        var command = new NpgsqlBatchCommand(text);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(PgValues.Parameter(parameter));
        }

        batch.BatchCommands.Add(command);
        foreach (var extra in trailing)
        {
            batch.BatchCommands.Add(extra);
        }

        var columns = ImmutableArray<Value>.Empty;
        var rows = ImmutableArray.CreateBuilder<Value>();
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            do
            {
                if (reader.FieldCount == 0)
                {
                    continue;
                }

                var names = ImmutableArray.CreateBuilder<Value>(reader.FieldCount);
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    names.Add(Value.From(reader.GetName(i)));
                }

                columns = names.MoveToImmutable();
                rows.Clear();
                var values = new object[reader.FieldCount];
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    reader.GetValues(values);
                    rows.Add(Value.List(ImmutableArray.CreateRange(values.Select(PgValues.FromDatabase))));
                }
            }
            while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false));
        }

        var isSelect = command.StatementType == Npgsql.StatementType.Select;
        var affected = isSelect ? rows.Count : (long)command.RecordsAffected;
        var result = Value.Map(
            ("columns", Value.List(columns)),
            ("rows", Value.List(rows.ToImmutable())),
            ("affected", Value.From(affected)));
        return (result, !isSelect);
    }

    private static async Task TryExecuteAsync(NpgsqlConnection connection, string text)
    {
        try
        {
            await using var command = new NpgsqlCommand(text, connection);
            await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or IOException or ObjectDisposedException)
        {
            // The connection is broken or closed; the server rolls an open transaction back when it goes.
        }
    }

    // The statement of an operation; SQL that would take the transaction out of Cohort's hands is refused here, before
    // anything is sent (a seed payload is built by Cohort and needs no check).
    private (string Text, Value[] Parameters) ParseOperation(Operation operation)
    {
        var (text, parameters) = SeedPayload.StatementOf(operation, "PostgreSQL");
        if (operation.Name == OperationNames.Sql && _options.RefuseTransactionControl)
        {
            TransactionControl.ThrowIfPresent(Name, text);
        }

        return (text, parameters);
    }

    // A statement ended (or replaced) the PostgreSQL transaction Cohort held for the transaction.
    private CohortException TransactionLost(TxId txId) => new(
        ErrorCodes.BadOperation,
        $"{Name}: a statement ended the PostgreSQL transaction of {txId}, which only Cohort may end; the transaction is aborted (its statements may have been committed by that statement).",
        isTransient: false);

    private static void ValidateName(string resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var colon = resource.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || resource[..colon] != "pg" || colon == resource.Length - 1 || resource.Length > 128
            || !resource.AsSpan(colon + 1).ToString().All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            throw new CohortException(ErrorCodes.BadOperation, $"'{resource}' is not a PostgreSQL resource name; expected pg:<name> (letters, digits, '_' and '-').", isTransient: false);
        }
    }

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new CohortException(ErrorCodes.Disposed, $"{Name} is closed.");
        }
    }

    private CohortException Finished(TxId txId, PgTransactionState state) => state == PgTransactionState.Aborted
        ? new CohortException(ErrorCodes.Aborted, $"{Name}: transaction {txId} was aborted.", isTransient: false)
        : new CohortException(ErrorCodes.NotActive, $"{Name}: transaction {txId} is {(state == PgTransactionState.Prepared ? "prepared" : "finished")} and takes no more operations.", isTransient: false);

    private void Remember(TxId txId, PgTransactionState outcome) => _finished.Set(txId, outcome);

    // Ends an active transaction: rolls back on its connection (or lets the broken connection go) and forgets it.
    private async Task RollbackActiveAsync(PgTransaction t, string reason)
    {
        Remember(t.Id, PgTransactionState.Aborted);
        t.State = PgTransactionState.Aborted;
        if (t.Connection is { } connection)
        {
            t.Connection = null;
            if (connection.FullState == ConnectionState.Open)
            {
                await TryExecuteAsync(connection, "ROLLBACK").ConfigureAwait(false);
            }

            await connection.DisposeAsync().ConfigureAwait(false);
        }

        _active.TryRemove(t.Id, out _);
        Log.Aborted(_logger, Name, t.Id, reason);
    }
}
