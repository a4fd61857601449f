using System.Buffers;
using System.Collections.Immutable;
using Cohort.Core;
using Cohort.Storage.Encoding;
using Cohort.Storage.Locking;
using Cohort.Storage.Mvcc;
using Microsoft.Extensions.Logging;

namespace Cohort.Engines.Kv;

/// <summary>
/// The key-value engine (<c>kv:*</c>): string keys, <see cref="Value"/> values, operations
/// <c>get</c>, <c>put</c>, <c>delete</c> and <c>scan</c> (by prefix or key range, with a limit).
/// Read-write transactions take a shared lock per key read and an exclusive lock per key written;
/// snapshot reads take none.
/// </summary>
/// <remarks>
/// A scan inside a read-write transaction locks the keys it returns, not the gaps between them, so
/// it does not prevent phantoms; transactions that need predicate protection use a <c>sql:*</c> resource.
/// </remarks>
public sealed class KvEngine : TransactionalEngine<KvTransaction>
{
    /// <summary>Default number of entries a scan returns.</summary>
    public const int DefaultScanLimit = 100;

    /// <summary>Largest scan limit accepted.</summary>
    public const int MaxScanLimit = 10_000;

    /// <summary>Longest key accepted, in characters.</summary>
    public const int MaxKeyLength = 4096;

    private readonly MvccStore<string> _store = new(StringComparer.Ordinal, StringComparer.Ordinal);

    private KvEngine(string name, EngineOptions options, ILogger? logger)
        : base(name, options, logger)
    {
    }

    /// <summary>Number of keys stored (including deleted keys not yet collected).</summary>
    public int KeyCount => _store.Count;

    /// <summary>Opens (recovering if needed) the KV resource <paramref name="name"/> in <see cref="EngineOptions.DataDirectory"/>.</summary>
    public static KvEngine Open(string name, EngineOptions options, ILogger? logger = null) =>
        Recover(new KvEngine(name, options, logger));

    /// <inheritdoc/>
    protected override KvTransaction CreateTransaction(TxId id, DateTimeOffset deadline) => new(id, deadline);

    /// <inheritdoc/>
    protected override async ValueTask<Value> ExecuteAsync(KvTransaction tx, Operation operation, CancellationToken cancellationToken)
    {
        switch (operation.Name)
        {
            case OperationNames.Get:
            {
                var key = Key(operation);
                await Locks.AcquireAsync(tx.Locks, key, LockMode.Shared, cancellationToken).ConfigureAwait(false);
                if (tx.Writes.TryGetValue(key, out var own))
                {
                    return own ?? Value.Null;
                }

                return _store.TryGetLatest(key, out var value) ? value : Value.Null;
            }

            case OperationNames.Put:
            {
                var key = Key(operation);
                if (!operation.Arguments.TryGetField("value", out var value))
                {
                    throw new CohortException(ErrorCodes.BadOperation, "Operation 'put' needs argument 'value'.");
                }

                await Locks.AcquireAsync(tx.Locks, key, LockMode.Exclusive, cancellationToken).ConfigureAwait(false);
                tx.Writes[key] = value;
                return Value.Null;
            }

            case OperationNames.Delete:
            {
                var key = Key(operation);
                await Locks.AcquireAsync(tx.Locks, key, LockMode.Exclusive, cancellationToken).ConfigureAwait(false);
                var existed = tx.Writes.TryGetValue(key, out var own) ? own is not null : _store.TryGetLatest(key, out _);
                tx.Writes[key] = null;
                return Value.From(existed);
            }

            case OperationNames.Scan:
                return await ScanInTransactionAsync(tx, ScanRange.From(operation), cancellationToken).ConfigureAwait(false);
            default:
                throw UnknownOperation(operation);
        }
    }

    /// <inheritdoc/>
    protected override async ValueTask<Value> ExecuteReadAsync(HlcTimestamp snapshot, Operation operation, CancellationToken cancellationToken)
    {
        switch (operation.Name)
        {
            case OperationNames.Get:
            {
                var (found, value) = await _store.ReadAsync(Key(operation), snapshot, cancellationToken).ConfigureAwait(false);
                return found ? value : Value.Null;
            }

            case OperationNames.Scan:
            {
                var range = ScanRange.From(operation);
                var rows = await _store.ScanAsync(range.Start, range.Contains, range.Limit, snapshot, cancellationToken).ConfigureAwait(false);
                return ToResult(rows);
            }

            case OperationNames.Put:
            case OperationNames.Delete:
                throw new CohortException(ErrorCodes.BadOperation, $"Operation '{operation.Name}' writes and cannot run in a read-only snapshot read.", isTransient: false);
            default:
                throw UnknownOperation(operation);
        }
    }

    /// <inheritdoc/>
    protected override KvTransaction ReadIntents(TxId id, ref SpanReader reader) => KvTransaction.ReadIntents(id, ref reader);

    /// <inheritdoc/>
    protected override PreparedMarker MarkPrepared(KvTransaction tx, Func<HlcTimestamp> timestamp) =>
        _store.MarkPrepared(tx.Writes.Keys, tx.Id, timestamp);

    /// <inheritdoc/>
    protected override void InstallCommit(KvTransaction tx, HlcTimestamp commitTimestamp, PreparedMarker? marker) =>
        _store.InstallAll(tx.Writes, commitTimestamp, marker);

    /// <inheritdoc/>
    protected override void OnPreparedAborted(KvTransaction tx, PreparedMarker marker) => _store.ClearPrepared(tx.Writes.Keys, marker);

    /// <inheritdoc/>
    protected override void WriteState(IBufferWriter<byte> writer) => _store.WriteTo(writer, static (w, key) => w.WriteString(key));

    /// <inheritdoc/>
    protected override void ReadState(ref SpanReader reader) => _store.ReadFrom(ref reader, static (ref r) => r.ReadString());

    /// <inheritdoc/>
    protected override void CollectGarbage(HlcTimestamp horizon) => _store.CollectGarbage(horizon);

    /// <inheritdoc/>
    protected override void DisposeCore() => _store.Dispose();

    private async ValueTask<Value> ScanInTransactionAsync(KvTransaction tx, ScanRange range, CancellationToken cancellationToken)
    {
        // Find candidates, lock them, then read them again under the locks: a value read before its
        // lock was granted may have been replaced by a commit in between.
        var ownInRange = tx.Writes.Keys.Count(range.Contains);
        var candidates = await _store.ScanAsync(range.Start, range.Contains, range.Limit + ownInRange, null, cancellationToken).ConfigureAwait(false);
        var merged = new SortedDictionary<string, Value>(StringComparer.Ordinal);
        foreach (var (key, _) in candidates)
        {
            await Locks.AcquireAsync(tx.Locks, key, LockMode.Shared, cancellationToken).ConfigureAwait(false);
            if (_store.TryGetLatest(key, out var value))
            {
                merged[key] = value;
            }
        }

        foreach (var (key, value) in tx.Writes)
        {
            if (!range.Contains(key))
            {
                continue;
            }

            if (value is { } v)
            {
                merged[key] = v;
            }
            else
            {
                merged.Remove(key);
            }
        }

        return ToResult(merged.Take(range.Limit));
    }

    private static Value ToResult(IEnumerable<KeyValuePair<string, Value>> rows)
    {
        var items = ImmutableArray.CreateBuilder<Value>();
        foreach (var (key, value) in rows)
        {
            items.Add(Value.Map(("key", Value.From(key)), ("value", value)));
        }

        return Value.List(items.ToImmutable());
    }

    private static string Key(Operation operation)
    {
        var key = operation.RequiredString("key");
        return ValidKey(key, "key", operation.Name);
    }

    private static string ValidKey(string key, string argument, string operation)
    {
        if (key.Length == 0 || key.Length > MaxKeyLength)
        {
            throw new CohortException(ErrorCodes.BadOperation, $"Argument '{argument}' of '{operation}' must be 1 to {MaxKeyLength} characters long.", isTransient: false);
        }

        return key;
    }

    private static CohortException UnknownOperation(Operation operation) =>
        new(ErrorCodes.UnknownOperation, $"Unknown KV operation '{operation.Name}'; expected get, put, delete or scan.", isTransient: false);

    private readonly record struct ScanRange(string? Start, string? Prefix, string? End, int Limit)
    {
        public static ScanRange From(Operation operation)
        {
            var prefix = operation.OptionalString("prefix");
            var from = operation.OptionalString("from");
            var to = operation.OptionalString("to");
            if (prefix is not null && (from is not null || to is not null))
            {
                throw new CohortException(ErrorCodes.BadOperation, "A scan takes either 'prefix' or 'from'/'to', not both.", isTransient: false);
            }

            var limit = operation.OptionalInt64("limit") ?? DefaultScanLimit;
            if (limit is < 1 or > MaxScanLimit)
            {
                throw new CohortException(ErrorCodes.BadOperation, $"Scan 'limit' must be between 1 and {MaxScanLimit}.", isTransient: false);
            }

            return new ScanRange(prefix ?? from, prefix, to, (int)limit);
        }

        public bool Contains(string key) =>
            (Prefix is null || key.StartsWith(Prefix, StringComparison.Ordinal))
            && (Start is null || string.CompareOrdinal(key, Start) >= 0)
            && (End is null || string.CompareOrdinal(key, End) < 0);
    }
}
