using System.Globalization;
using Cohort.Core;

namespace Cohort.Client;

/// <summary>
/// Typed operations on a fungible-token resource (<c>resource:…</c>): exact decimal amounts, balances that never go
/// negative (a debit beyond the available balance fails with <c>insufficient_funds</c>).
/// </summary>
public sealed class ResourceClient
{
    private readonly IOperationRunner _runner;

    internal ResourceClient(IOperationRunner runner, string resource)
    {
        _runner = runner;
        Resource = resource;
    }

    /// <summary>The resource name.</summary>
    public string Resource { get; }

    /// <summary>Sets the token's symbol and number of decimals (once per resource), with optional extra metadata.</summary>
    /// <param name="symbol">The symbol, e.g. <c>PTS</c>.</param>
    /// <param name="decimals">Digits after the decimal point (0–18).</param>
    /// <param name="metadata">Extra metadata fields, or null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The metadata after initialization.</returns>
    public Task<Value> InitializeAsync(string symbol, int decimals, IEnumerable<KeyValuePair<string, Value>>? metadata = null, CancellationToken cancellationToken = default) =>
        _runner.RunAsync(CohortOps.Initialize(Resource, symbol, decimals, metadata), cancellationToken);

    /// <summary>Creates <paramref name="amount"/> in account <paramref name="to"/>.</summary>
    /// <param name="to">The account credited.</param>
    /// <param name="amount">A positive amount.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the mint is held by the transaction.</returns>
    public Task MintAsync(string to, decimal amount, CancellationToken cancellationToken = default) =>
        _runner.RunAsync(CohortOps.Mint(Resource, to, amount), cancellationToken);

    /// <summary>Destroys <paramref name="amount"/> from account <paramref name="from"/>.</summary>
    /// <param name="from">The account debited.</param>
    /// <param name="amount">A positive amount.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the burn is held by the transaction.</returns>
    /// <exception cref="CohortClientException"><c>insufficient_funds</c> when the account holds less.</exception>
    public Task BurnAsync(string from, decimal amount, CancellationToken cancellationToken = default) =>
        _runner.RunAsync(CohortOps.Burn(Resource, from, amount), cancellationToken);

    /// <summary>Moves <paramref name="amount"/> from <paramref name="from"/> to <paramref name="to"/>.</summary>
    /// <param name="from">The account debited.</param>
    /// <param name="to">The account credited.</param>
    /// <param name="amount">A positive amount.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the transfer is held by the transaction.</returns>
    /// <exception cref="CohortClientException"><c>insufficient_funds</c> when <paramref name="from"/> holds less.</exception>
    public Task TransferAsync(string from, string to, decimal amount, CancellationToken cancellationToken = default) =>
        _runner.RunAsync(CohortOps.Transfer(Resource, from, to, amount), cancellationToken);

    /// <summary>The balance of <paramref name="account"/> (zero for an account never credited).</summary>
    /// <param name="account">The account.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The balance.</returns>
    public async Task<decimal> BalanceAsync(string account, CancellationToken cancellationToken = default) =>
        ToDecimal(await _runner.RunAsync(CohortOps.Balance(Resource, account), cancellationToken).ConfigureAwait(false));

    /// <summary>The total supply (minted minus burnt).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The supply.</returns>
    public async Task<decimal> SupplyAsync(CancellationToken cancellationToken = default) =>
        ToDecimal(await _runner.RunAsync(CohortOps.Supply(Resource), cancellationToken).ConfigureAwait(false));

    /// <summary>All metadata (a map), or the value of one field.</summary>
    /// <param name="field">The field, or null for all.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The metadata.</returns>
    public Task<Value> MetadataAsync(string? field = null, CancellationToken cancellationToken = default) =>
        _runner.RunAsync(CohortOps.Metadata(Resource, field), cancellationToken);

    /// <summary>Sets metadata fields (any but <c>decimals</c>).</summary>
    /// <param name="fields">The fields and their values.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The metadata after the update.</returns>
    public Task<Value> UpdateMetadataAsync(IEnumerable<KeyValuePair<string, Value>> fields, CancellationToken cancellationToken = default) =>
        _runner.RunAsync(CohortOps.UpdateMetadata(Resource, fields), cancellationToken);

    // An amount the answer holds exactly as a decimal, or a CohortClientException: never a bare OverflowException or
    // FormatException, and never a rounded value (the nodes keep amounts within a decimal's range; an answer that is
    // not is reported, not approximated).
    internal static decimal ToDecimal(Value value)
    {
        switch (value.Kind)
        {
            case ValueKind.String when ValueJson.TryExactDecimal(value.AsString(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, out var parsed):
                return parsed;
            case ValueKind.Decimal:
                return value.AsDecimal();
            case ValueKind.Int64:
                return value.AsInt64();
            case ValueKind.Double when double.IsFinite(value.AsDouble()) && Math.Abs(value.AsDouble()) < 7.9e28:
                return (decimal)value.AsDouble();
            case ValueKind.Null:
                return 0m;
            default:
                throw new CohortClientException(ErrorCodes.BadAnswer, $"An amount that a decimal holds exactly was expected, not {Shorten(value.ToString())}.", null, isTransient: false);
        }
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
