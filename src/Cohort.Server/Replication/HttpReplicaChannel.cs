using Cohort.Core;
using Cohort.Protocol;
using Cohort.Storage.Replication;
using Cohort.Transport;

namespace Cohort.Server.Replication;

/// <summary>A primary's way to one replica: <c>POST /internal/replicate</c> on its node.</summary>
internal sealed class HttpReplicaChannel(string replica, NodeClient client) : IReplicaChannel
{
    /// <inheritdoc/>
    public string Replica { get; } = replica;

    /// <inheritdoc/>
    public async Task<long> SendAsync(string resource, long version, string stream, IReadOnlyList<ReplicationEntry> entries, CancellationToken cancellationToken)
    {
        try
        {
            var answer = await client.PostAsync(Replica, "internal/replicate", ReplicationWire.Shipment(resource, version, stream, entries), cancellationToken).ConfigureAwait(false);
            return WireFields.Long(answer, "durable_through");
        }
        catch (CohortException e) when (e.Code is ErrorCodes.ReplicaStale or ErrorCodes.ReplicaGap)
        {
            throw new ReplicaRefusedException(e.Code == ErrorCodes.ReplicaStale ? ReplicaRefusal.Stale : ReplicaRefusal.Gap, 0, e.Message);
        }
    }
}
