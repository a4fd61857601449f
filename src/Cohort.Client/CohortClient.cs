using System.Collections.Immutable;
using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Cohort.Core;
using Cohort.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cohort.Client;

/// <summary>
/// A client of a Cohort cluster. Give it one or more node addresses: it finds the master, falls back to any other node
/// (which forwards) when one cannot be reached, retries what is safe to retry, and turns outcomes into values and
/// exceptions (<see cref="CohortAbortedException"/>, <see cref="CohortInDoubtException"/>). Thread-safe; create one per
/// cluster and share it.
/// </summary>
/// <example>
/// <code>
/// using var client = new CohortClient("127.0.0.1:7001");
/// await using var tx = await client.BeginAsync(TimeSpan.FromSeconds(30), label: "signup");
/// await tx.Kv("kv:users").PutAsync("user:alice", "Alice");
/// await tx.Resource("resource:points").TransferAsync("system", "alice", 500m);
/// await tx.CommitAsync();
/// </code>
/// </example>
public sealed partial class CohortClient : ICohortClient, IDisposable
{
    private readonly CohortClientOptions _options;
    private readonly HttpClient? _http;
    private readonly Func<HttpClient>? _httpClients;
    private readonly bool _ownsHttp;
    private readonly AuthenticationHeaderValue? _authorization;
    private readonly ILogger _logger;

    // Whom https connections trust (to explain a refused certificate), and whether bare addresses are called over https.
    private readonly TlsTrust _trust;
    private readonly bool _secure;

    /// <summary>A client of the nodes at <paramref name="addresses"/> (<c>host:port</c>), without a token.</summary>
    /// <param name="addresses">One or more node addresses.</param>
    public CohortClient(params string[] addresses)
        : this(new CohortClientOptions { Addresses = addresses })
    {
    }

    /// <summary>A client with explicit options and, optionally, an <see cref="HttpClient"/> to send with and a logger.</summary>
    /// <param name="options">Addresses, token, retry and discovery settings.</param>
    /// <param name="httpClient">The HTTP client to use (not disposed by this client); null to create one.</param>
    /// <param name="logger">Where retries, leader changes and the resolution of lost commits are logged; null for nowhere.</param>
    public CohortClient(CohortClientOptions options, HttpClient? httpClient = null, ILogger<CohortClient>? logger = null)
        : this(options, logger)
    {
        if (httpClient is null)
        {
            _http = new HttpClient(CreateHttpHandler(options))
            {
                Timeout = options.RequestTimeout,
            };
            _ownsHttp = true;
        }
        else
        {
            _http = httpClient;
        }
    }

    /// <summary>
    /// A client that takes an <see cref="HttpClient"/> from <paramref name="httpClients"/> for each request (an
    /// <c>IHttpClientFactory</c>'s, which pools and rotates the handlers; see <c>AddCohortClient</c>).
    /// </summary>
    /// <param name="options">Addresses, token, retry and discovery settings.</param>
    /// <param name="httpClients">Gives the HTTP client of one request; the client does not dispose them.</param>
    /// <param name="logger">Where retries, leader changes and the resolution of lost commits are logged; null for nowhere.</param>
    public CohortClient(CohortClientOptions options, Func<HttpClient> httpClients, ILogger<CohortClient>? logger = null)
        : this(options, logger)
    {
        ArgumentNullException.ThrowIfNull(httpClients);
        _httpClients = httpClients;
    }

    private CohortClient(CohortClientOptions options, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _authorization = Authorization(options.AuthToken);
        _trust = TlsTrust.For(options.CaCertificatePath);
        _secure = options.CaCertificatePath is not null || options.Addresses.Any(a => a.StartsWith("https://", StringComparison.OrdinalIgnoreCase));
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// The connection handler a client makes for itself: pooled connections renewed every two minutes, a 5 s connect
    /// timeout, and https certificates checked against <see cref="CohortClientOptions.CaCertificatePath"/> (or the
    /// machine's trust store). For applications that build their own <see cref="HttpClient"/> for the client.
    /// </summary>
    /// <param name="options">The client's options.</param>
    /// <returns>A new handler.</returns>
    public static SocketsHttpHandler CreateHttpHandler(CohortClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return TlsTrust.For(options.CaCertificatePath).Apply(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2), ConnectTimeout = TimeSpan.FromSeconds(5) });
    }

    // The logger of this client (the transactions it begins log their lost commits here).
    internal ILogger Logger => _logger;

    /// <summary>The options the client runs with.</summary>
    public CohortClientOptions Options => _options;

    /// <summary>The master's address as last discovered, or null when not known (calls then go through any node).</summary>
    public string? Leader
    {
        get
        {
            lock (_sync)
            {
                return _leader;
            }
        }
    }

    /// <summary>Begins an interactive transaction.</summary>
    /// <param name="timeout">How long the transaction may live before the cluster aborts it; null for the cluster's default.</param>
    /// <param name="label">A label shown in transaction listings, or null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The transaction; dispose it to abort it unless it was committed.</returns>
    public Task<CohortTransaction> BeginAsync(TimeSpan? timeout = null, string? label = null, CancellationToken cancellationToken = default) =>
        TracedAsync("cohort.begin", null, null, async activity =>
        {
            var tx = await BeginCoreAsync(timeout, label, cancellationToken).ConfigureAwait(false);
            activity?.SetTag(Core.Diagnostics.CohortTelemetry.TxIdAttribute, tx.Id.ToString());
            return tx;
        });

    private async Task<CohortTransaction> BeginCoreAsync(TimeSpan? timeout, string? label, CancellationToken cancellationToken)
    {
        var fields = ImmutableSortedDictionary.CreateBuilder<string, Value>(StringComparer.Ordinal);
        if (timeout is { } t)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(t, TimeSpan.Zero, nameof(timeout));
            fields["timeout_ms"] = (long)Math.Ceiling(t.TotalMilliseconds);
        }

        if (label is not null)
        {
            fields["label"] = label;
        }

        // A begin whose answer is lost leaves at most an empty transaction that expires on its own: safe to retry.
        var answer = await SendAsync(HttpMethod.Post, "v1/tx", Value.Map(fields.ToImmutable()), idempotent: true, cancellationToken).ConfigureAwait(false);
        var txId = TxId.Parse(WireFields.OptStr(answer, "tx_id") ?? throw Malformed("begin", answer));
        var deadline = WireFields.OptStr(answer, "deadline") is { } d && DateTimeOffset.TryParse(d, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : (DateTimeOffset?)null;
        return new CohortTransaction(this, txId, deadline);
    }

    /// <summary>
    /// Runs <paramref name="operations"/> as one atomic transaction in two round trips (<c>/v1/batch</c>): all of them
    /// commit or none does.
    /// </summary>
    /// <param name="operations">The operations, in order (build them with <see cref="CohortOps"/>).</param>
    /// <param name="timeout">The transaction's timeout; null for the cluster's default.</param>
    /// <param name="label">A label for listings, or null.</param>
    /// <param name="cancellationToken">Cancels waiting (the batch may still run).</param>
    /// <returns>The committed transaction's id, commit timestamp and each operation's result.</returns>
    /// <exception cref="CohortAbortedException">The batch aborted; nothing of it is visible.</exception>
    /// <exception cref="CohortInDoubtException">The outcome is unknown (the answer was lost, or the cluster reported in-doubt).</exception>
    /// <exception cref="CohortClientException">The request was refused (bad input, unknown resource, …); nothing ran.</exception>
    public Task<BatchResult> BatchAsync(IEnumerable<CohortOperation> operations, TimeSpan? timeout = null, string? label = null, CancellationToken cancellationToken = default) =>
        TracedAsync("cohort.batch", null, null, async activity =>
        {
            var result = await BatchCoreAsync(operations, timeout, label, cancellationToken).ConfigureAwait(false);
            activity?.SetTag(Core.Diagnostics.CohortTelemetry.TxIdAttribute, result.TxId.ToString());
            activity?.SetTag(Core.Diagnostics.CohortTelemetry.OutcomeAttribute, "committed");
            return result;
        });

    private async Task<BatchResult> BatchCoreAsync(IEnumerable<CohortOperation> operations, TimeSpan? timeout, string? label, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operations);
        var ops = operations.Select(o => o.ToValue()).ToImmutableArray();
        var fields = ImmutableSortedDictionary.CreateBuilder<string, Value>(StringComparer.Ordinal);
        fields["ops"] = Value.List(ops);
        if (timeout is { } t)
        {
            fields["timeout_ms"] = (long)Math.Ceiling(t.TotalMilliseconds);
        }

        if (label is not null)
        {
            fields["label"] = label;
        }

        Value answer;
        try
        {
            answer = await SendAsync(HttpMethod.Post, "v1/batch", Value.Map(fields.ToImmutable()), idempotent: false, cancellationToken).ConfigureAwait(false);
        }
        catch (LostAnswerException e)
        {
            throw new CohortInDoubtException(TxId.Empty, $"the batch may have run but its answer was lost: {e.Message}", e);
        }

        var txId = TxId.TryParse(WireFields.OptStr(answer, "tx_id"), out var id) ? id : TxId.Empty;
        var commitTs = ThrowUnlessCommitted(txId, answer, 200);
        var results = answer.TryGetField("results", out var r) && r.Kind == ValueKind.List ? r.AsList() : [];
        return new BatchResult(txId, commitTs, results);
    }

    /// <summary>
    /// Reads at one consistent snapshot without taking locks (<c>/v1/read</c>): read operations only (get, scan, peek,
    /// size, balance, SELECT, …).
    /// </summary>
    /// <param name="operations">Read operations, in order.</param>
    /// <param name="asOf">The snapshot to read at (an earlier <see cref="ReadResult.AsOf"/> or commit timestamp); null for now.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The snapshot timestamp and each operation's result.</returns>
    public Task<ReadResult> ReadAsync(IEnumerable<CohortOperation> operations, HlcTimestamp? asOf = null, CancellationToken cancellationToken = default) =>
        TracedAsync("cohort.read", null, null, _ => ReadCoreAsync(operations, asOf, cancellationToken));

    private async Task<ReadResult> ReadCoreAsync(IEnumerable<CohortOperation> operations, HlcTimestamp? asOf, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operations);
        var fields = ImmutableSortedDictionary.CreateBuilder<string, Value>(StringComparer.Ordinal);
        fields["ops"] = Value.List(operations.Select(o => o.ToValue()).ToImmutableArray());
        if (asOf is { } ts)
        {
            fields["as_of"] = ts.Value;
        }

        var answer = await SendAsync(HttpMethod.Post, "v1/read", Value.Map(fields.ToImmutable()), idempotent: true, cancellationToken).ConfigureAwait(false);
        var at = answer.TryGetField("as_of", out var a) && a.TryGetInt64(out var hlc) ? new HlcTimestamp(hlc) : asOf ?? default;
        var results = answer.TryGetField("results", out var r) && r.Kind == ValueKind.List ? r.AsList() : [];
        return new ReadResult(at, results);
    }

    /// <summary>
    /// A snapshot for typed reads: every read through it sees the same consistent state, at <paramref name="asOf"/> or, when
    /// null, at the time of its first read.
    /// </summary>
    /// <param name="asOf">The snapshot timestamp, or null to take it at the first read.</param>
    /// <returns>The snapshot.</returns>
    public CohortSnapshot Snapshot(HlcTimestamp? asOf = null) => new(this, asOf);

    /// <summary>The coordinator's record of a transaction.</summary>
    /// <param name="txId">The transaction.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Its state, participants and decision.</returns>
    /// <exception cref="CohortClientException"><c>unknown_transaction</c> when the coordinator does not know it.</exception>
    public async Task<TransactionInfo> GetTransactionAsync(TxId txId, CancellationToken cancellationToken = default) =>
        TransactionInfo.FromValue(await SendAsync(HttpMethod.Get, $"v1/tx/{txId}", null, idempotent: true, cancellationToken).ConfigureAwait(false));

    /// <summary>The largest page <see cref="ListTransactionPageAsync"/> may ask for (the nodes' maximum).</summary>
    public const int MaxTransactionPage = 1000;

    /// <summary>
    /// Every transaction the coordinators know, optionally only those in one state, fetched page by page (each request
    /// bounded on the nodes; the list is as long as what they remember).
    /// </summary>
    /// <param name="state">Null for all, else one of <see cref="TransactionState"/> (e.g. <see cref="TransactionState.InDoubt"/>).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The transactions, in <see cref="TxId"/> order.</returns>
    public async Task<IReadOnlyList<TransactionInfo>> ListTransactionsAsync(TransactionState? state = null, CancellationToken cancellationToken = default)
    {
        var all = new List<TransactionInfo>();
        TxId? after = null;
        do
        {
            var page = await ListTransactionPageAsync(state, MaxTransactionPage, after, cancellationToken: cancellationToken).ConfigureAwait(false);
            all.AddRange(page.Transactions);
            after = page.Next;
        }
        while (after is not null);
        return all;
    }

    /// <summary>One page of the transactions the coordinators know, in <see cref="TxId"/> order.</summary>
    /// <param name="state">Null for all, else only this state.</param>
    /// <param name="limit">The page size, 1 to <see cref="MaxTransactionPage"/>; the nodes' default (100) when null.</param>
    /// <param name="after">The <see cref="TransactionPage.Next"/> of the previous page, or null for the first.</param>
    /// <param name="label">Null for any, else only transactions begun with exactly this label (1 to 256 characters).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page and the cursor of the next.</returns>
    public async Task<TransactionPage> ListTransactionPageAsync(TransactionState? state = null, int? limit = null, TxId? after = null, string? label = null, CancellationToken cancellationToken = default)
    {
        if (label is not null)
        {
            ArgumentException.ThrowIfNullOrEmpty(label);
        }

        if (limit is { } n)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(n, 1, nameof(limit));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(n, MaxTransactionPage, nameof(limit));
        }

        var query = new List<string>();
        if (state is { } s)
        {
            query.Add("state=" + s.ToWireName());
        }

        if (limit is { } l)
        {
            query.Add("limit=" + l.ToString(CultureInfo.InvariantCulture));
        }

        if (after is { } a)
        {
            query.Add("after=" + a);
        }

        if (label is not null)
        {
            query.Add("label=" + Uri.EscapeDataString(label));
        }

        var path = query.Count == 0 ? "v1/tx" : "v1/tx?" + string.Join('&', query);
        var answer = await SendAsync(HttpMethod.Get, path, null, idempotent: true, cancellationToken).ConfigureAwait(false);
        var list = answer.TryGetField("transactions", out var t) && t.Kind == ValueKind.List ? [.. t.AsList().Select(TransactionInfo.FromValue)] : new List<TransactionInfo>();
        var next = WireFields.OptStr(answer, "next") is { } text ? TxId.TryParse(text, out var id) ? id : throw Malformed("a transaction list", answer) : (TxId?)null;
        return new TransactionPage(list, next);
    }

    /// <summary>
    /// The transactions the coordinators know, optionally only those in one state, as they are fetched page by page:
    /// the next page is asked for when the previous one is used up.
    /// </summary>
    /// <param name="state">Null for all, else only this state.</param>
    /// <param name="pageSize">Transactions per request, 1 to <see cref="MaxTransactionPage"/>.</param>
    /// <param name="label">Null for any, else only transactions begun with exactly this label.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The transactions, in <see cref="TxId"/> order.</returns>
    public async IAsyncEnumerable<TransactionInfo> EnumerateTransactionsAsync(TransactionState? state = null, int pageSize = 100, string? label = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pageSize, MaxTransactionPage);
        TxId? after = null;
        do
        {
            var page = await ListTransactionPageAsync(state, pageSize, after, label, cancellationToken).ConfigureAwait(false);
            foreach (var transaction in page.Transactions)
            {
                yield return transaction;
            }

            after = page.Next;
        }
        while (after is not null);
    }

    /// <summary>Every resource of the cluster and the node hosting it.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The resources.</returns>
    public async Task<IReadOnlyList<ResourceInfo>> ListResourcesAsync(CancellationToken cancellationToken = default)
    {
        var answer = await SendAsync(HttpMethod.Get, "v1/resources", null, idempotent: true, cancellationToken).ConfigureAwait(false);
        return answer.TryGetField("resources", out var list) && list.Kind == ValueKind.List
            ? [.. list.AsList().Select(r => new ResourceInfo(
                WireFields.OptStr(r, "name") ?? "?",
                WireFields.OptStr(r, "node") ?? "?",
                !r.TryGetField("available", out var available) || available.Kind != ValueKind.Bool || available.AsBool()))]
            : [];
    }

    /// <summary>Creates a resource (<c>kv:…</c>, <c>queue:…</c>, <c>resource:…</c>, <c>sql:…</c>, or <c>pg:…</c> with a DSN) on a node.</summary>
    /// <param name="name">The resource name.</param>
    /// <param name="node">The node to host it, or null to let the cluster place it.</param>
    /// <param name="dsn">For a <c>pg:</c> resource, the PostgreSQL connection string; null otherwise.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Where it was created.</returns>
    public async Task<ResourceInfo> CreateResourceAsync(string name, string? node = null, string? dsn = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var fields = ImmutableSortedDictionary.CreateBuilder<string, Value>(StringComparer.Ordinal);
        fields["name"] = name;
        if (node is not null)
        {
            fields["node"] = node;
        }

        if (dsn is not null)
        {
            fields["dsn"] = dsn;
        }

        var answer = await SendAsync(HttpMethod.Post, "v1/resources", Value.Map(fields.ToImmutable()), idempotent: false, cancellationToken).ConfigureAwait(false);
        return new ResourceInfo(WireFields.OptStr(answer, "name") ?? name, WireFields.OptStr(answer, "node") ?? node ?? "?");
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http!.Dispose();
        }
    }

    /// <summary>
    /// Reads a commit or batch answer: returns the commit timestamp when committed, throws the abort or in-doubt exception
    /// otherwise.
    /// </summary>
    internal static HlcTimestamp ThrowUnlessCommitted(TxId txId, Value answer, int status)
    {
        var outcome = OutcomeAnswer.FromValue(answer);
        return outcome.Status switch
        {
            TransactionState.Committed => outcome.CommitTimestamp ?? default,
            TransactionState.Aborted => throw new CohortAbortedException(txId, outcome.Code ?? ErrorCodes.Aborted, outcome.Reason ?? "aborted", status),
            TransactionState.InDoubt => throw new CohortInDoubtException(txId, outcome.Reason ?? "the cluster reported the outcome in doubt"),
            _ => throw Malformed("commit", answer),
        };
    }

    private static CohortClientException Malformed(string what, Value answer) =>
        new(ErrorCodes.BadAnswer, $"The node's answer to {what} is not what the protocol says: {ValueJson.Serialize(answer)}", null, isTransient: false);
}
