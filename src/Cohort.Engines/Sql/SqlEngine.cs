using System.Buffers;
using Cohort.Core;
using Cohort.Sql;
using Cohort.Sql.Execution;
using Cohort.Sql.Planning;
using Cohort.Sql.Storage;
using Cohort.Storage.Encoding;
using Cohort.Storage.Locking;
using Cohort.Storage.Mvcc;
using Microsoft.Extensions.Logging;

namespace Cohort.Engines.Sql;

/// <summary>
/// The SQL engine (<c>sql:*</c>): its own parser, planner and executor over one MVCC store holding the catalog,
/// the rows and the index entries of every table. Operations are <c>{"sql": text, "params": [...]}</c> or a seed
/// payload <c>{"table", "operation", "values", "where"}</c>; answers are <c>{"columns", "rows", "affected"}</c>.
/// </summary>
/// <remarks>
/// Read-write transactions are serializable by strict two-phase locking with predicate locks: statements lock the
/// key ranges they read (a primary-key point, an index range or the whole table) and every key they write, and
/// keep them to the end. Reads outside a transaction and <c>SELECT … AS OF</c> read a snapshot and lock nothing.
/// DDL is transactional: schemas are catalog entries written like rows.
/// </remarks>
public sealed partial class SqlEngine : TransactionalEngine<SqlTransaction>
{
    /// <summary>Most statements kept in the plan cache.</summary>
    public const int PlanCacheCapacity = 1024;

    private readonly MvccStore<SqlKey> _store = new(SqlKeyComparer.Instance, SqlKeyComparer.Instance);
    private readonly StatementCache _statements = new(PlanCacheCapacity);

    private SqlEngine(string name, EngineOptions options, ILogger? logger)
        : base(name, options, logger)
    {
    }

    /// <summary>Number of keys stored (catalog entries, rows and index entries, including deleted ones not yet collected).</summary>
    public int KeyCount => _store.Count;

    /// <summary>Opens (recovering if needed) the SQL resource <paramref name="name"/> in <see cref="EngineOptions.DataDirectory"/>.</summary>
    public static SqlEngine Open(string name, EngineOptions options, ILogger? logger = null) =>
        Recover(new SqlEngine(name, options, logger));

    /// <inheritdoc/>
    protected override SqlTransaction CreateTransaction(TxId id, DateTimeOffset deadline) => new(id, deadline);

    /// <inheritdoc/>
    protected override async ValueTask<Value> ExecuteAsync(SqlTransaction tx, Operation operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        var (text, parameters) = ParseOperation(operation);

        // A statement is atomic: one that fails part-way (a duplicate key in the third row, a unique index that
        // cannot be built) takes back the writes it made, so the transaction can neither see nor commit half of it.
        // A statement stops at its transaction's deadline (or when its request is abandoned), however long it would run.
        var remaining = tx.Deadline - Options.TimeProvider.GetUtcNow();
        using var deadline = new CancellationTokenSource(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, Options.TimeProvider);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token, tx.Aborted);
        tx.BeginStatement();
        try
        {
            var result = await RunAsync(text, parameters, tx, null, cancellationToken, stop.Token).ConfigureAwait(false);
            tx.EndStatement();
            return result;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            tx.RollBackStatement();
            throw new CohortException(ErrorCodes.Expired, $"The statement was stopped at its transaction's deadline ({tx.Deadline:O}); the transaction is aborted.");
        }
        catch (OperationCanceledException) when (tx.Aborted.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            tx.RollBackStatement();
            // As a later operation of the transaction would be refused: wounded (retry it) or aborted.
            throw tx.Locks.IsWounded
                ? new CohortException(ErrorCodes.Wounded, $"Transaction {tx.Id} was wounded by older transaction {tx.Locks.WoundedBy} while the statement ran; the statement was stopped.")
                : new CohortException(ErrorCodes.Aborted, $"Transaction {tx.Id} was aborted while the statement ran ({tx.AbortReason ?? "aborted"}); the statement was stopped.");
        }
        catch
        {
            tx.RollBackStatement();
            throw;
        }
    }

    /// <inheritdoc/>
    protected override ValueTask<Value> ExecuteReadAsync(HlcTimestamp snapshot, Operation operation, CancellationToken cancellationToken)
    {
        var (text, parameters) = ParseOperation(operation);
        return RunAsync(text, parameters, null, snapshot, cancellationToken);
    }

    /// <inheritdoc/>
    protected override SqlTransaction ReadIntents(TxId id, ref SpanReader reader) => SqlTransaction.ReadIntents(id, ref reader);

    /// <inheritdoc/>
    protected override PreparedMarker MarkPrepared(SqlTransaction tx, Func<HlcTimestamp> timestamp) =>
        _store.MarkPrepared(tx.Writes.Keys, tx.Id, timestamp);

    /// <inheritdoc/>
    protected override void InstallCommit(SqlTransaction tx, HlcTimestamp commitTimestamp, PreparedMarker? marker) =>
        _store.InstallAll(tx.Writes, commitTimestamp, marker);

    /// <inheritdoc/>
    protected override void OnPreparedAborted(SqlTransaction tx, PreparedMarker marker) => _store.ClearPrepared(tx.Writes.Keys, marker);

    /// <inheritdoc/>
    protected override void RetakeLocks(SqlTransaction tx)
    {
        ArgumentNullException.ThrowIfNull(tx);

        // Every table the transaction wrote keeps its catalog entry locked: exclusively after DDL, else shared, as
        // before the restart. Without the shared lock, DDL could change the table under writes made for the old
        // schema (an index built now would miss the prepared rows; a dropped table would get them back at commit).
        var tables = new Dictionary<string, LockMode>(StringComparer.Ordinal);
        foreach (var key in tx.Writes.Keys)
        {
            if (key.Space == SqlKeySpace.Catalog)
            {
                tables[key.Table] = LockMode.Exclusive;
                if (tx.Writes[key] is { } schema)
                {
                    // The index names it may have created stay reserved until the outcome is known.
                    foreach (var index in SchemaCache.Decode(schema).Indexes)
                    {
                        Locks.AcquireRecovered(tx.Locks, SqlLocks.NameLock(index.Name), LockMode.Exclusive);
                    }
                }
            }
            else
            {
                tables.TryAdd(key.Table, LockMode.Shared);
                Locks.AcquireRangeRecovered(tx.Locks, SqlLocks.Space(key.Table), SqlLocks.Point(key), SqlLocks.Comparer);
            }
        }

        foreach (var (table, mode) in tables)
        {
            Locks.AcquireRecovered(tx.Locks, SqlLocks.CatalogLock(table), mode);
        }
    }

    /// <inheritdoc/>
    protected override void WriteRangeBound(IBufferWriter<byte> writer, object bound) => SqlKeyCodec.WriteRangeKey(writer, (SqlKey)bound);

    /// <inheritdoc/>
    protected override object ReadRangeBound(ref SpanReader reader) => SqlKeyCodec.ReadRangeKey(ref reader);

    /// <inheritdoc/>
    protected override IComparer<object> RangeComparer(string space) => SqlLocks.Comparer;

    /// <inheritdoc/>
    protected override void WriteState(IBufferWriter<byte> writer) => _store.WriteTo(writer, SqlKeyCodec.Write);

    /// <inheritdoc/>
    protected override void ReadState(ref SpanReader reader) => _store.ReadFrom(ref reader, SqlKeyCodec.Read);

    /// <inheritdoc/>
    protected override void CollectGarbage(HlcTimestamp horizon) => _store.CollectGarbage(horizon);

    /// <inheritdoc/>
    protected override void DisposeCore() => _store.Dispose();

    private static (string Text, Value[] Parameters) ParseOperation(Operation operation) => SeedPayload.StatementOf(operation, "SQL");
}
