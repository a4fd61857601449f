using Cohort.Cluster;
using Cohort.Coordination;
using Cohort.Core;
using Cohort.Protocol;
using Cohort.Transport;

namespace Cohort.Server.Services;

/// <summary>
/// Snapshot reads (<c>/v1/read</c>): every operation reads its resource as of one HLC timestamp, on this node when the
/// resource lives here, else on its home node (<c>/internal/read</c>). No transaction is begun and no lock taken.
/// </summary>
/// <remarks>
/// A read of a replicated resource carries its configuration term and is admitted like a participant's apply
/// (<see cref="ParticipantHost.AdmitAsync"/>): only by its primary at that term, holding its read lease.
/// </remarks>
/// <remarks>
/// The lease is asked again once the read is done (<paramref name="leaseHeld"/>): a read that stalled (a lock wait, a
/// pause) past the lease could otherwise answer what a newer primary has since overwritten.
/// </remarks>
internal sealed class SnapshotReader(string self, ClusterAgent cluster, ResourceRegistry registry, NodeClient client, ParticipantHost host, TimeProvider time, Func<string, bool>? leaseHeld = null)
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
            var term = cluster.TermOf(resource);
            if (home == self)
            {
                results.Add(await ReadLocalAsync(resource, at, op, term, cancellationToken).ConfigureAwait(false));
            }
            else
            {
                var answer = await client.PostAsync(home, "internal/read", Value.Map(("resource", resource), ("op", op), ("as_of", at.Value), ("term", term)), cancellationToken).ConfigureAwait(false);
                results.Add(WireFields.Field(answer, "result"));
            }
        }

        return (at, results);
    }

    /// <summary>Reads a resource hosted here (<c>/internal/read</c>, sent by the node serving a <c>/v1/read</c>).</summary>
    public async Task<Value> ReadLocalAsync(string resource, HlcTimestamp asOf, Value op, long term, CancellationToken cancellationToken)
    {
        var local = ClusterAgent.LocalName(resource);
        var engine = registry.Find(local) ?? throw registry.NotHosted(local);
        await host.AdmitAsync(local, term, reads: true, cancellationToken).ConfigureAwait(false);
        var result = await engine.ReadAsync(asOf, Operation.FromValue(op), cancellationToken).ConfigureAwait(false);
        return leaseHeld?.Invoke(local) ?? true
            ? result
            : throw new CohortException(ErrorCodes.Unavailable, $"{local} on {self}: the primary's read lease ran out while the read ran, so it may miss a newer primary's writes; retry.", isTransient: true);
    }
}
