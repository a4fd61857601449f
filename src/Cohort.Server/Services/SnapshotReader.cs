using Cohort.Cluster;
using Cohort.Core;
using Cohort.Protocol;
using Cohort.Transport;

namespace Cohort.Server.Services;

/// <summary>
/// Snapshot reads (<c>/v1/read</c>): every operation reads its resource as of one HLC timestamp, on this node when the
/// resource lives here, else on its home node (<c>/internal/read</c>). No transaction is begun and no lock taken.
/// </summary>
internal sealed class SnapshotReader(string self, ClusterAgent cluster, ResourceRegistry registry, NodeClient client, TimeProvider time)
{
    /// <summary>
    /// Reads each of <paramref name="reads"/> (a resource and its operation, as the request gave it) as of
    /// <paramref name="asOf"/>, or as of now when that is null, in order; answers the timestamp read at and the results.
    /// </summary>
    public async Task<(HlcTimestamp AsOf, IReadOnlyList<Value> Results)> ReadAsync(
        IEnumerable<(string Resource, Value Op)> reads, HlcTimestamp? asOf, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reads);
        var at = asOf ?? HlcTimestamp.FromDateTimeOffset(time.GetUtcNow());
        var results = new List<Value>();
        foreach (var (resource, op) in reads)
        {
            var home = ResourceService.AliveHomeOf(cluster, self, resource);
            if (home == self)
            {
                var engine = registry.Find(ClusterAgent.LocalName(resource)) ?? throw registry.NotHosted(resource);
                results.Add(await engine.ReadAsync(at, Operation.FromValue(op), cancellationToken).ConfigureAwait(false));
            }
            else
            {
                var answer = await client.PostAsync(home, "internal/read", Value.Map(("resource", resource), ("op", op), ("as_of", at.Value)), cancellationToken).ConfigureAwait(false);
                results.Add(WireFields.Field(answer, "result"));
            }
        }

        return (at, results);
    }

    /// <summary>Reads a resource hosted here (<c>/internal/read</c>, sent by the node serving a <c>/v1/read</c>).</summary>
    public async Task<Value> ReadLocalAsync(string resource, HlcTimestamp asOf, Value op, CancellationToken cancellationToken)
    {
        var local = ClusterAgent.LocalName(resource);
        var engine = registry.Find(local) ?? throw registry.NotHosted(local);
        return await engine.ReadAsync(asOf, Operation.FromValue(op), cancellationToken).ConfigureAwait(false);
    }
}
