using System.Globalization;
using Cohort.Core;
using Npgsql;

namespace Cohort.Postgres;

/// <content>
/// Start-up checks and recovery (the Citus method): prepared transactions named <c>cohort:&lt;txid&gt;:&lt;resource&gt;</c> that
/// this process did not prepare are listed by <see cref="GetPrepared"/>; the participant host asks the coordinator
/// about each and calls <see cref="CommitAsync"/> or <see cref="AbortAsync"/> (a transaction the coordinator never
/// decided and no longer runs is aborted: presumed abort).
/// </content>
public sealed partial class PostgresEngine
{
    private ITimer? _scanTimer;
    private Task _scanning = Task.CompletedTask;
    private int _scanBusy;

    /// <inheritdoc/>
    public IReadOnlyList<PreparedTransaction> GetPrepared()
    {
        var list = new List<PreparedTransaction>();
        foreach (var t in _active.Values)
        {
            if (t.State == PgTransactionState.Prepared)
            {
                list.Add(new PreparedTransaction(t.Id, t.PrepareTimestamp, t.Coordinator));
            }
        }

        foreach (var (id, prepared) in _recovered)
        {
            if (!_active.ContainsKey(id) && !_finished.ContainsKey(id))
            {
                list.Add(prepared);
            }
        }

        return list;
    }

    /// <summary>
    /// Scans <c>pg_prepared_xacts</c> once: this resource's prepared transactions that this process does not own are
    /// reported by <see cref="GetPrepared"/> from now on (at start-up all of them; later only those older than
    /// <see cref="PostgresOptions.OrphanGracePeriod"/>).
    /// </summary>
    /// <returns>How many prepared transactions of this resource wait for recovery.</returns>
    public async Task<int> ScanPreparedAsync(CancellationToken cancellationToken = default)
    {
        return await ScanAsync(startup: false, cancellationToken).ConfigureAwait(false);
    }

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            Database = connection.Database;
            await using (var show = new NpgsqlCommand("SHOW max_prepared_transactions", connection))
            {
                var setting = (string)(await show.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
                if (setting == "0")
                {
                    throw new CohortException(
                        ErrorCodes.PgMisconfigured,
                        $"{Name}: PostgreSQL at {connection.Host}:{connection.Port} has max_prepared_transactions = 0, so PREPARE TRANSACTION (two-phase commit) is disabled. "
                        + "Set max_prepared_transactions to at least the number of concurrent Cohort transactions (e.g. 100) in postgresql.conf, "
                        + "or run ALTER SYSTEM SET max_prepared_transactions = 100, then restart PostgreSQL.",
                        isTransient: false);
                }

                _maxPrepared = setting;
                _slots = PreparedSlots.Join(
                    $"{connection.Host}:{connection.Port.ToString(CultureInfo.InvariantCulture)}",
                    int.Parse(setting, NumberStyles.Integer, CultureInfo.InvariantCulture),
                    this);
            }

            await CreateAuditTableAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException)
        {
            throw PgErrors.Map(Name, e);
        }

        var found = await ScanAsync(startup: true, cancellationToken).ConfigureAwait(false);
        Log.Opened(_logger, Name, Database, _maxPrepared, found);
        if (!PgSessionStatus.IsAvailable)
        {
            Log.SessionStatusUnavailable(_logger, Name);
        }
        if (_options.RecoveryInterval != Timeout.InfiniteTimeSpan)
        {
            _scanTimer = _time.CreateTimer(_ => OnScanTimer(), null, _options.RecoveryInterval, _options.RecoveryInterval);
        }
    }

    private string _maxPrepared = "?";

    // The server's prepared-transaction slots (set at open) and this engine's PREPAREs in flight.
    private PreparedSlots? _slots;
    private int _preparing;

    /// <summary>The server slots this engine holds: PREPAREs in flight, transactions it prepared and has not finished, and those found prepared at start.</summary>
    internal int PreparedSlotsHeld
    {
        get
        {
            var held = PreparesInFlight + _recovered.Count;
            foreach (var t in _active.Values)
            {
                if (t.State == PgTransactionState.Prepared)
                {
                    held++;
                }
            }

            return held;
        }
    }

    /// <summary>This engine's PREPAREs under way (counted by <see cref="PreparedSlots"/>, not yet on the server).</summary>
    internal int PreparesInFlight => Volatile.Read(ref _preparing);

    internal void BeginPrepare() => Interlocked.Increment(ref _preparing);

    internal void EndPrepare() => Interlocked.Decrement(ref _preparing);

    // Waits for a server slot before a PREPARE (see PreparedSlots); false when the token fired first.
    private ValueTask<bool> TakePrepareSlotAsync(CancellationToken cancellationToken) =>
        _slots is { } slots ? slots.TakeAsync(this, cancellationToken) : BeginPrepareUnlimited();

    private ValueTask<bool> BeginPrepareUnlimited()
    {
        BeginPrepare();
        return ValueTask.FromResult(true);
    }

    /// <summary>The prepared transactions on the server now, of every database and process.</summary>
    internal async Task<int> CountPreparedOnServerAsync()
    {
        await using var connection = await _internalSource.OpenConnectionAsync(CancellationToken.None).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT count(*)::int FROM pg_prepared_xacts", connection);
        return (int)(await command.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false))!;
    }

    private string NoSlot(TxId tx) =>
        $"{Name}: transaction {tx} found no free prepared-transaction slot on the server before its deadline (max_prepared_transactions {_maxPrepared}, all held by transactions waiting for phase two)";

    private static async Task CreateAuditTableAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        const string Ddl =
            $"""
            CREATE TABLE IF NOT EXISTS {AuditTable} (
                gid text PRIMARY KEY,
                tx_id text NOT NULL,
                resource text NOT NULL,
                status text NOT NULL,
                payload jsonb,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now());
            CREATE INDEX IF NOT EXISTS {AuditTable}_unsettled ON {AuditTable} (resource) WHERE status = 'prepared'
            """;
        try
        {
            // Only when missing: CREATE INDEX locks the table first, and would wait for every prepared transaction holding it.
            await using (var exists = new NpgsqlCommand($"SELECT to_regclass('{AuditTable}') IS NOT NULL AND to_regclass('{AuditTable}_unsettled') IS NOT NULL", connection))
            {
                if ((bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
                {
                    return;
                }
            }

            await using var command = new NpgsqlCommand(Ddl, connection);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable or PostgresErrorCodes.DuplicateObject)
        {
            // Another resource on the same database created it at the same moment.
        }
    }

    private async Task<int> ScanAsync(bool startup, CancellationToken cancellationToken)
    {
        var seen = new HashSet<TxId>();
        try
        {
            await using var connection = await _internalSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (var command = new NpgsqlCommand(
                "SELECT gid, prepared, now() - prepared >= $1 FROM pg_prepared_xacts WHERE database = current_database() AND gid LIKE 'cohort:%'",
                connection))
            {
                command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = _options.OrphanGracePeriod });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var gid = reader.GetString(0);
                    if (!TryParseGid(gid, out var txId))
                    {
                        continue;
                    }

                    seen.Add(txId);
                    if (_active.ContainsKey(txId) || _recovered.ContainsKey(txId) || !(startup || reader.GetBoolean(2)))
                    {
                        continue;
                    }

                    var prepared = reader.GetFieldValue<DateTime>(1);
                    _recovered[txId] = new PreparedTransaction(txId, HlcTimestamp.FromDateTimeOffset(new DateTimeOffset(DateTime.SpecifyKind(prepared, DateTimeKind.Utc))), null);
                    Log.FoundPrepared(_logger, Name, gid);
                }
            }

            // Rows are written 'committed' now; a visible row saying 'prepared' was written by an earlier version, which
            // updated the status after the commit, and belongs to a transaction that committed (the row commits with it).
            if (startup)
            {
                await using var settle = new NpgsqlCommand($"UPDATE {AuditTable} SET status = 'committed', updated_at = now() WHERE resource = $1 AND status = 'prepared'", connection);
                settle.Parameters.Add(new NpgsqlParameter<string> { TypedValue = GlobalName });
                await settle.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException)
        {
            if (startup)
            {
                throw PgErrors.Map(Name, e);
            }

            Log.ScanFailed(_logger, Name, e.Message);
            return _recovered.Count;
        }

        foreach (var id in _recovered.Keys)
        {
            if (!seen.Contains(id))
            {
                _recovered.TryRemove(id, out _);
            }
        }

        return _recovered.Count;
    }

    private bool TryParseGid(string gid, out TxId txId)
    {
        txId = default;
        const int IdLength = 36;
        var rest = gid.AsSpan(GidPrefix.Length);
        return gid.StartsWith(GidPrefix, StringComparison.Ordinal)
            && rest.Length > IdLength + 1
            && rest[IdLength] == ':'
            && rest[(IdLength + 1)..].SequenceEqual(GlobalName)
            && TxId.TryParse(rest[..IdLength].ToString(), null, out txId);
    }

    private void OnScanTimer()
    {
        if (Volatile.Read(ref _disposed) != 0 || Interlocked.Exchange(ref _scanBusy, 1) != 0)
        {
            return;
        }

        _scanning = Task.Run(async () =>
        {
            try
            {
                await ScanAsync(startup: false, _stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or CohortException)
            {
                // The next tick tries again.
            }
            finally
            {
                Interlocked.Exchange(ref _scanBusy, 0);
            }
        });
    }

    private async Task StopRecoveryAsync()
    {
        if (_scanTimer is not null)
        {
            await _scanTimer.DisposeAsync().ConfigureAwait(false);
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _scanning.ConfigureAwait(false);
    }
}
