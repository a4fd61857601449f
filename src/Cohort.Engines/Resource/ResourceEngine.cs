using System.Buffers;
using System.Collections.Immutable;
using System.Numerics;
using Cohort.Core;
using Cohort.Storage.Encoding;
using Cohort.Storage.Locking;
using Cohort.Storage.Mvcc;
using Microsoft.Extensions.Logging;

namespace Cohort.Engines.Resource;

/// <summary>
/// The fungible-token engine (<c>resource:*</c>): <c>initialize</c>, <c>mint</c>, <c>burn</c>, <c>transfer</c>,
/// <c>balance</c>, <c>supply</c>, <c>metadata</c> and <c>update_metadata</c>. Amounts are exact decimals at
/// the resource's scale, carried as strings.
/// </summary>
/// <remarks>
/// <para>Credits are deltas applied at commit: they commute, take no lock and never wait. Debits
/// reserve against the available balance (committed balance minus every open reservation, plus the
/// transaction's own pending credits to that account); a debit that does not fit fails at once with
/// <c>insufficient_funds</c>. A reservation ends when its transaction commits (the debit lands) or
/// aborts. So concurrent debits can never overdraw, concurrent credits are never lost, and
/// total supply equals the sum of balances at every commit timestamp.</para>
/// <para>Balance and supply reads in a read-write transaction return the newest committed amount plus
/// the transaction's own changes; they take no lock, so they are not repeatable under concurrent
/// commits. Use a snapshot read for a consistent view of several accounts.</para>
/// </remarks>
public sealed class ResourceEngine : TransactionalEngine<ResourceTransaction>
{
    internal const string SupplyKey = "supply";
    private const string MetadataPrefix = "meta:";
    private const int MaxAccountLength = 256;

    // The reservation-table entry for supply that open mints will add: no account is named "" (names are 1 to 256
    // characters), and a reservation is released, logged and recovered like an account's.
    private const string PendingMints = "";

    private readonly MvccStore<string> _store = new(StringComparer.Ordinal, StringComparer.Ordinal);
    private readonly Lock _reservationGate = new();
    private readonly Dictionary<string, BigInteger> _reserved = new(StringComparer.Ordinal);

    private ResourceEngine(string name, EngineOptions options, ILogger? logger)
        : base(name, options, logger)
    {
    }

    /// <summary>Opens (recovering if needed) the token resource <paramref name="name"/>.</summary>
    public static ResourceEngine Open(string name, EngineOptions options, ILogger? logger = null) =>
        Recover(new ResourceEngine(name, options, logger));

    internal static string BalanceKey(string account) => "bal:" + account;

    internal static string MetadataKey(string field) => MetadataPrefix + field;

    /// <summary>The amount reserved by open debits on <paramref name="account"/>, in base units (for tests and metrics).</summary>
    public BigInteger ReservedUnits(string account)
    {
        lock (_reservationGate)
        {
            return _reserved.GetValueOrDefault(account);
        }
    }

    /// <inheritdoc/>
    protected override ResourceTransaction CreateTransaction(TxId id, DateTimeOffset deadline) => new(id, deadline);

    /// <inheritdoc/>
    protected override async ValueTask<Value> ExecuteAsync(ResourceTransaction tx, Operation operation, CancellationToken cancellationToken)
    {
        switch (operation.Name)
        {
            case OperationNames.Initialize:
            {
                var symbol = operation.RequiredString("symbol");
                var decimals = operation.OptionalInt64("decimals") ?? 0;
                if (decimals is < 0 or > Amount.MaxDecimals)
                {
                    throw Bad($"'decimals' must be between 0 and {Amount.MaxDecimals} (got {decimals}).");
                }

                var fields = new Dictionary<string, Value>(StringComparer.Ordinal);
                foreach (var (key, value) in operation.Arguments.AsMap())
                {
                    fields[ValidField(key)] = value;
                }

                fields["symbol"] = symbol;
                fields["decimals"] = decimals;
                foreach (var field in fields.Keys.Append("symbol").Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
                {
                    await Locks.AcquireAsync(tx.Locks, MetadataKey(field), LockMode.Exclusive, cancellationToken).ConfigureAwait(false);
                }

                if (IsInitialized(tx))
                {
                    throw Bad($"Resource {Name} is already initialized.");
                }

                foreach (var (field, value) in fields)
                {
                    tx.Metadata[field] = value;
                }

                return await MetadataMapAsync(tx, cancellationToken).ConfigureAwait(false);
            }

            case OperationNames.Mint:
            {
                var (symbol, decimals) = Scale(tx);
                var to = Account(operation, "to");
                var amount = Amount.ParsePositive(operation.Required("amount"), decimals, "amount", symbol);
                ReserveSupply(tx, amount, decimals, symbol);
                tx.AddDelta(to, amount);
                tx.SupplyDelta += amount;
                return Value.Null;
            }

            case OperationNames.Burn:
            {
                var (symbol, decimals) = Scale(tx);
                var from = Account(operation, "from");
                var amount = Amount.ParsePositive(operation.Required("amount"), decimals, "amount", symbol);
                Reserve(tx, from, amount, decimals);
                tx.AddDelta(from, -amount);
                tx.SupplyDelta -= amount;
                return Value.Null;
            }

            case OperationNames.Transfer:
            {
                var (symbol, decimals) = Scale(tx);
                var from = Account(operation, "from");
                var to = Account(operation, "to");
                if (from == to)
                {
                    throw Bad("'from' and 'to' of a transfer must differ.");
                }

                var amount = Amount.ParsePositive(operation.Required("amount"), decimals, "amount", symbol);
                Reserve(tx, from, amount, decimals);
                tx.AddDelta(from, -amount);
                tx.AddDelta(to, amount);
                return Value.Null;
            }

            case OperationNames.Balance:
            {
                var (_, decimals) = Scale(tx);
                var account = Account(operation, "account");
                return Amount.Format(Committed(BalanceKey(account)) + tx.Deltas.GetValueOrDefault(account), decimals);
            }

            case OperationNames.Supply:
            {
                var (_, decimals) = Scale(tx);
                return Amount.Format(Committed(SupplyKey) + tx.SupplyDelta, decimals);
            }

            case OperationNames.Metadata:
            {
                if (operation.OptionalString("field") is { } field)
                {
                    await Locks.AcquireAsync(tx.Locks, MetadataKey(ValidField(field)), LockMode.Shared, cancellationToken).ConfigureAwait(false);
                    Initialized(tx);
                    return tx.Metadata.TryGetValue(field, out var own) ? own
                        : _store.TryGetLatest(MetadataKey(field), out var value) ? value : Value.Null;
                }

                Initialized(tx);
                return await MetadataMapAsync(tx, cancellationToken).ConfigureAwait(false);
            }

            case OperationNames.UpdateMetadata:
            {
                Initialized(tx);
                var updates = operation.Arguments.AsMap().OrderBy(f => f.Key, StringComparer.Ordinal).ToList();
                foreach (var (field, value) in updates)
                {
                    if (field == "decimals")
                    {
                        throw Bad("'decimals' cannot change after initialize: existing balances are counted in it.");
                    }

                    if (field == "symbol" && value.Kind != ValueKind.String)
                    {
                        throw Bad("'symbol' must be a string.");
                    }

                    ValidField(field);
                }

                foreach (var (field, _) in updates)
                {
                    await Locks.AcquireAsync(tx.Locks, MetadataKey(field), LockMode.Exclusive, cancellationToken).ConfigureAwait(false);
                }

                foreach (var (field, value) in updates)
                {
                    tx.Metadata[field] = value;
                }

                return await MetadataMapAsync(tx, cancellationToken).ConfigureAwait(false);
            }

            default:
                throw UnknownOperation(operation);
        }
    }

    /// <inheritdoc/>
    protected override async ValueTask<Value> ExecuteReadAsync(HlcTimestamp snapshot, Operation operation, CancellationToken cancellationToken)
    {
        switch (operation.Name)
        {
            case OperationNames.Balance:
            {
                var account = Account(operation, "account");
                var (_, decimals) = Scale(await MetadataAtAsync(snapshot, cancellationToken).ConfigureAwait(false));
                var (_, stored) = await _store.ReadAsync(BalanceKey(account), snapshot, cancellationToken).ConfigureAwait(false);
                return Amount.Format(Amount.FromStored(stored), decimals);
            }

            case OperationNames.Supply:
            {
                var (_, decimals) = Scale(await MetadataAtAsync(snapshot, cancellationToken).ConfigureAwait(false));
                var (_, stored) = await _store.ReadAsync(SupplyKey, snapshot, cancellationToken).ConfigureAwait(false);
                return Amount.Format(Amount.FromStored(stored), decimals);
            }

            case OperationNames.Metadata:
            {
                var metadata = Initialized(await MetadataAtAsync(snapshot, cancellationToken).ConfigureAwait(false));
                return operation.OptionalString("field") is { } field ? (metadata.TryGetValue(field, out var value) ? value : Value.Null) : Value.Map(metadata);
            }

            case OperationNames.Initialize:
            case OperationNames.Mint:
            case OperationNames.Burn:
            case OperationNames.Transfer:
            case OperationNames.UpdateMetadata:
                throw Bad($"Operation '{operation.Name}' writes and cannot run in a read-only snapshot read.");
            default:
                throw UnknownOperation(operation);
        }
    }

    /// <inheritdoc/>
    protected override ResourceTransaction ReadIntents(TxId id, ref SpanReader reader) => ResourceTransaction.ReadIntents(id, ref reader);

    /// <inheritdoc/>
    protected override PreparedMarker MarkPrepared(ResourceTransaction tx, Func<HlcTimestamp> timestamp) =>
        _store.MarkPrepared(tx.TouchedKeys, tx.Id, timestamp);

    /// <inheritdoc/>
    protected override void InstallCommit(ResourceTransaction tx, HlcTimestamp commitTimestamp, PreparedMarker? marker)
    {
        foreach (var (field, value) in tx.Metadata)
        {
            _store.Install(MetadataKey(field), commitTimestamp, value);
        }

        if (!tx.SupplyDelta.IsZero)
        {
            var delta = tx.SupplyDelta;
            _store.ApplyDelta(SupplyKey, commitTimestamp, v => Amount.ToStored(Amount.FromStored(v) + delta));
        }

        lock (_reservationGate)
        {
            foreach (var (account, delta) in tx.Deltas)
            {
                _store.ApplyDelta(BalanceKey(account), commitTimestamp, v => Amount.ToStored(Amount.FromStored(v) + delta));
            }

            // The debits have landed: their reservations end in the same step.
            ReleaseReservations(tx);
        }
        if (marker is not null)
        {
            _store.ClearPrepared(tx.TouchedKeys, marker);
        }
    }

    /// <inheritdoc/>
    protected override void OnPreparedAborted(ResourceTransaction tx, PreparedMarker marker) => _store.ClearPrepared(tx.TouchedKeys, marker);

    /// <inheritdoc/>
    protected override void OnDiscarded(ResourceTransaction tx) => ReleaseReservations(tx);

    /// <inheritdoc/>
    protected override void OnRecovered(ResourceTransaction tx)
    {
        lock (_reservationGate)
        {
            foreach (var (account, amount) in tx.Reserved)
            {
                _reserved[account] = _reserved.GetValueOrDefault(account) + amount;
            }

            tx.HoldsReservations = true;
        }
    }

    /// <inheritdoc/>
    protected override void WriteState(IBufferWriter<byte> writer) => _store.WriteTo(writer, static (w, key) => w.WriteString(key));

    /// <inheritdoc/>
    protected override void ReadState(ref SpanReader reader) => _store.ReadFrom(ref reader, static (ref r) => r.ReadString());

    /// <inheritdoc/>
    protected override void CollectGarbage(HlcTimestamp horizon) => _store.CollectGarbage(horizon);

    /// <inheritdoc/>
    protected override void DisposeCore() => _store.Dispose();

    private void Reserve(ResourceTransaction tx, string account, BigInteger amount, int decimals)
    {
        lock (_reservationGate)
        {
            var balance = Committed(BalanceKey(account));
            var reserved = _reserved.GetValueOrDefault(account);
            // Only the part of the transaction's debits its own credits do not cover needs a reservation.
            var debits = tx.Debits.GetValueOrDefault(account);
            var credits = tx.Deltas.GetValueOrDefault(account) + debits;
            var held = tx.Reserved.GetValueOrDefault(account);
            var needed = BigInteger.Max(debits + amount - credits, BigInteger.Zero);
            var available = balance - (reserved - held) + credits - debits;
            if (available < amount)
            {
                throw new CohortException(
                    ErrorCodes.InsufficientFunds,
                    $"Insufficient funds in account '{account}': available {Amount.Format(BigInteger.Max(available, BigInteger.Zero), decimals)}, requested {Amount.Format(amount, decimals)}.",
                    isTransient: false);
            }

            tx.Debits[account] = debits + amount;
            if (needed > held)
            {
                _reserved[account] = reserved + needed - held;
                tx.Reserved[account] = needed;
            }

            tx.HoldsReservations = true;
        }
    }

    // The total supply bounds every balance (balances are never negative and sum to it), so keeping it at most
    // Amount.MaxUnits, counting the mints of open transactions, keeps every amount within a decimal's range.
    private void ReserveSupply(ResourceTransaction tx, BigInteger amount, int decimals, string symbol)
    {
        lock (_reservationGate)
        {
            var supply = Committed(SupplyKey);
            var pending = _reserved.GetValueOrDefault(PendingMints);
            if (supply + pending + amount > Amount.MaxUnits(decimals))
            {
                throw Bad($"Minting {Amount.Format(amount, decimals)} {symbol} would take the total supply ({Amount.Format(supply, decimals)}, plus {Amount.Format(pending, decimals)} being minted by open transactions) above the largest amount, {Amount.Max(decimals)}.");
            }

            _reserved[PendingMints] = pending + amount;
            tx.Reserved[PendingMints] = tx.Reserved.GetValueOrDefault(PendingMints) + amount;
            tx.HoldsReservations = true;
        }
    }

    private void ReleaseReservations(ResourceTransaction tx)
    {
        lock (_reservationGate)
        {
            // A transaction replayed from the log never held reservations in this process.
            if (!tx.HoldsReservations)
            {
                return;
            }

            tx.HoldsReservations = false;
            foreach (var (account, amount) in tx.Reserved)
            {
                var left = _reserved.GetValueOrDefault(account) - amount;
                if (left.IsZero)
                {
                    _reserved.Remove(account);
                }
                else
                {
                    _reserved[account] = left;
                }
            }

            // Released amounts are gone from the table: forget them too, so that a debit racing an
            // abort (it can reserve again after this) never releases them a second time.
            tx.Reserved.Clear();
            tx.Debits.Clear();
        }
    }

    private BigInteger Committed(string key) => _store.TryGetLatest(key, out var stored) ? Amount.FromStored(stored) : BigInteger.Zero;

    private bool IsInitialized(ResourceTransaction tx) => tx.Metadata.ContainsKey("symbol") || _store.TryGetLatest(MetadataKey("symbol"), out _);

    private void Initialized(ResourceTransaction tx)
    {
        if (!IsInitialized(tx))
        {
            throw NotInitialized();
        }
    }

    // Symbol and decimals never change after initialize (decimals cannot be updated), so reading the
    // newest committed values without a lock is safe.
    private (string Symbol, int Decimals) Scale(ResourceTransaction tx)
    {
        Initialized(tx);
        var symbol = tx.Metadata.TryGetValue("symbol", out var s) ? s : Latest(MetadataKey("symbol"));
        var decimals = tx.Metadata.TryGetValue("decimals", out var d) ? d : Latest(MetadataKey("decimals"));
        return (symbol.AsString(), (int)decimals.AsInt64());
    }

    private static (string Symbol, int Decimals) Scale(IReadOnlyDictionary<string, Value>? metadata)
    {
        var fields = Initialized(metadata);
        return (fields["symbol"].AsString(), (int)fields["decimals"].AsInt64());
    }

    private Value Latest(string key) => _store.TryGetLatest(key, out var value) ? value : Value.Null;

    private async ValueTask<Value> MetadataMapAsync(ResourceTransaction tx, CancellationToken cancellationToken)
    {
        var rows = await _store.ScanAsync(MetadataPrefix, k => k.StartsWith(MetadataPrefix, StringComparison.Ordinal), int.MaxValue, null, cancellationToken).ConfigureAwait(false);
        var fields = rows.ToDictionary(r => r.Key[MetadataPrefix.Length..], r => r.Value, StringComparer.Ordinal);
        foreach (var (field, value) in tx.Metadata)
        {
            fields[field] = value;
        }

        return Value.Map(fields);
    }

    private async ValueTask<IReadOnlyDictionary<string, Value>?> MetadataAtAsync(HlcTimestamp snapshot, CancellationToken cancellationToken)
    {
        var rows = await _store.ScanAsync(MetadataPrefix, k => k.StartsWith(MetadataPrefix, StringComparison.Ordinal), int.MaxValue, snapshot, cancellationToken).ConfigureAwait(false);
        var fields = rows.ToDictionary(r => r.Key[MetadataPrefix.Length..], r => r.Value, StringComparer.Ordinal);
        return fields.ContainsKey("symbol") ? fields : null;
    }

    private static IReadOnlyDictionary<string, Value> Initialized(IReadOnlyDictionary<string, Value>? metadata) => metadata ?? throw NotInitialized();

    private static CohortException NotInitialized() =>
        Bad("The resource is not initialized; run {\"initialize\":{\"symbol\":\"…\",\"decimals\":2}} first.");

    private static string ValidField(string field) =>
        field.Length is > 0 and <= MaxAccountLength ? field : throw Bad($"Metadata field names must be 1 to {MaxAccountLength} characters long.");

    private static string Account(Operation operation, string argument)
    {
        var account = operation.RequiredString(argument);
        if (account.Length is 0 or > MaxAccountLength)
        {
            throw Bad($"Argument '{argument}' of '{operation.Name}' must be 1 to {MaxAccountLength} characters long.");
        }

        return account;
    }

    private static CohortException Bad(string message) => new(ErrorCodes.BadOperation, message, isTransient: false);

    private static CohortException UnknownOperation(Operation operation) =>
        new(ErrorCodes.UnknownOperation, $"Unknown resource operation '{operation.Name}'; expected initialize, mint, burn, transfer, balance, supply, metadata or update_metadata.", isTransient: false);
}
