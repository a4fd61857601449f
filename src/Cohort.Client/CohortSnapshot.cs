using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Client;

/// <summary>
/// Lock-free reads at one consistent snapshot (<c>/v1/read</c> with <c>as_of</c>). The snapshot is fixed by the first
/// read when none was given, so every read through this object sees the same committed state. Writes are refused.
/// </summary>
public sealed class CohortSnapshot : IOperationRunner
{
    private readonly CohortClient _client;
    private HlcTimestamp? _asOf;

    internal CohortSnapshot(CohortClient client, HlcTimestamp? asOf)
    {
        _client = client;
        _asOf = asOf;
    }

    /// <summary>The snapshot timestamp, or null until the first read fixes it.</summary>
    public HlcTimestamp? AsOf => _asOf;

    /// <summary>Reads of the key-value resource <paramref name="resource"/>.</summary>
    /// <param name="resource">A <c>kv:</c> resource name.</param>
    /// <returns>A typed client (reads only).</returns>
    public KvClient Kv(string resource) => new(this, ResourceNames.Check(resource, ResourceNames.KvPrefix));

    /// <summary>Reads of the queue resource <paramref name="resource"/>.</summary>
    /// <param name="resource">A <c>queue:</c> resource name.</param>
    /// <returns>A typed client (reads only: peek, size, is-empty).</returns>
    public QueueClient Queue(string resource) => new(this, ResourceNames.Check(resource, ResourceNames.QueuePrefix));

    /// <summary>Reads of the token resource <paramref name="resource"/>.</summary>
    /// <param name="resource">A <c>resource:</c> resource name.</param>
    /// <returns>A typed client (reads only: balance, supply, metadata).</returns>
    public ResourceClient Resource(string resource) => new(this, ResourceNames.Check(resource, ResourceNames.ResourcePrefix));

    /// <summary>Queries of the SQL resource <paramref name="resource"/>.</summary>
    /// <param name="resource">A <c>sql:</c> resource name.</param>
    /// <returns>A typed client (SELECT only).</returns>
    public SqlClient Sql(string resource = ResourceNames.DefaultSql) => new(this, ResourceNames.Check(resource, ResourceNames.SqlPrefix));

    /// <summary>Queries of the PostgreSQL resource <paramref name="resource"/>.</summary>
    /// <param name="resource">A <c>pg:</c> resource name.</param>
    /// <returns>A typed client (SELECT only).</returns>
    public SqlClient Pg(string resource) => new(this, ResourceNames.Check(resource, ResourceNames.PgPrefix));

    /// <summary>Runs read operations at this snapshot in one round trip.</summary>
    /// <param name="operations">Read operations.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The results, in order.</returns>
    public async Task<IReadOnlyList<Value>> ReadAsync(IEnumerable<CohortOperation> operations, CancellationToken cancellationToken = default)
    {
        var result = await _client.ReadAsync(operations, _asOf, cancellationToken).ConfigureAwait(false);
        _asOf ??= result.AsOf;
        return result.Results;
    }

    async Task<Value> IOperationRunner.RunAsync(CohortOperation operation, CancellationToken cancellationToken) =>
        (await ReadAsync([operation], cancellationToken).ConfigureAwait(false))[0];
}
