using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Client;

/// <summary>
/// A client of a Cohort cluster (<see cref="CohortClient"/>): what an application depends on, so that it can be
/// injected (<c>services.AddCohortClient(…)</c>) and replaced in the application's own tests.
/// </summary>
public interface ICohortClient
{
    /// <summary>The options the client runs with.</summary>
    CohortClientOptions Options { get; }

    /// <summary>The master's address as last discovered, or null when not known.</summary>
    string? Leader { get; }

    /// <inheritdoc cref="CohortClient.BeginAsync"/>
    Task<CohortTransaction> BeginAsync(TimeSpan? timeout = null, string? label = null, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="CohortClient.BatchAsync"/>
    Task<BatchResult> BatchAsync(IEnumerable<CohortOperation> operations, TimeSpan? timeout = null, string? label = null, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="CohortClient.ReadAsync"/>
    Task<ReadResult> ReadAsync(IEnumerable<CohortOperation> operations, HlcTimestamp? asOf = null, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="CohortClient.Snapshot"/>
    CohortSnapshot Snapshot(HlcTimestamp? asOf = null);

    /// <inheritdoc cref="CohortClient.GetTransactionAsync"/>
    Task<TransactionInfo> GetTransactionAsync(TxId txId, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="CohortClient.ListTransactionPageAsync"/>
    Task<TransactionPage> ListTransactionPageAsync(TransactionState? state = null, int? limit = null, TxId? after = null, string? label = null, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="CohortClient.EnumerateTransactionsAsync"/>
    IAsyncEnumerable<TransactionInfo> EnumerateTransactionsAsync(TransactionState? state = null, int pageSize = 100, string? label = null, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="CohortClient.ListResourcesAsync"/>
    Task<IReadOnlyList<ResourceInfo>> ListResourcesAsync(CancellationToken cancellationToken = default);

    /// <inheritdoc cref="CohortClient.CreateResourceAsync"/>
    Task<ResourceInfo> CreateResourceAsync(string name, string? node = null, string? dsn = null, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="CohortClient.SendAsync"/>
    Task<Value> SendAsync(HttpMethod method, string path, Value? body, bool idempotent, CancellationToken cancellationToken = default);
}
