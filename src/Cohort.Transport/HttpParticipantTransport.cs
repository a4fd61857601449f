using Cohort.Cluster;
using Cohort.Coordination;
using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Transport;

/// <summary>
/// The coordinator's transport: protocol messages to the participant hosts of other nodes (<c>internal/…</c> requests,
/// over the node-to-node WebSocket or one HTTP request each, see <see cref="INodeMessages"/>), and straight to this node's own host without a network hop. Participant hosts know a
/// node's default shard by its local name (<c>sql:default@n</c> is <c>sql:default</c> on n), so names are mapped here.
/// </summary>
internal sealed class HttpParticipantTransport(INodeMessages client, string self, ParticipantHost local) : IParticipantTransport, IAsyncDisposable
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<CommitBatcher>> _commits = new(StringComparer.Ordinal);

    public async ValueTask DisposeAsync()
    {
        foreach (var batcher in _commits.Values)
        {
            if (batcher.IsValueCreated)
            {
                await batcher.Value.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    public async ValueTask<ApplyAnswer> ApplyAsync(string node, ApplyRequest request, CancellationToken cancellationToken)
    {
        request = request with { Resource = ClusterAgent.LocalName(request.Resource) };
        return node == self
            ? await local.ApplyAsync(request, cancellationToken).ConfigureAwait(false)
            : WireFormat.ReadApplyAnswer(await client.PostAsync(node, "internal/apply", WireFormat.Apply(request), cancellationToken).ConfigureAwait(false));
    }

    public async ValueTask<Vote> PrepareAsync(string node, PrepareRequest request, CancellationToken cancellationToken)
    {
        request = request with { Resource = ClusterAgent.LocalName(request.Resource) };
        return node == self
            ? await local.PrepareAsync(request, cancellationToken).ConfigureAwait(false)
            : WireFormat.ReadVote(await client.PostAsync(node, "internal/prepare", WireFormat.Prepare(request), cancellationToken).ConfigureAwait(false));
    }

    public ValueTask<BatchPrepareResult> ApplyAndPrepareAsync(string node, BatchPrepareRequest request, CancellationToken cancellationToken)
    {
        if (ClusterAgent.LocalName(request.Resource) is var name && name != request.Resource)
        {
            request = request with { Resource = name };
        }

        // The hot path: no async layer of its own (the answer is read where it arrives).
        return node == self
            ? local.ApplyAndPrepareAsync(request, cancellationToken)
            : client.PostAsync(node, "internal/batch", WireFormat.Batch(request), WireFormat.ReadBatchResult, cancellationToken);
    }

    public ValueTask CommitAsync(string node, CommitRequest request, CancellationToken cancellationToken)
    {
        if (ClusterAgent.LocalName(request.Resource) is var name && name != request.Resource)
        {
            request = request with { Resource = name };
        }

        if (node == self)
        {
            return local.CommitAsync(request, cancellationToken);
        }

        // Phase 2 to other nodes is coalesced across transactions (see CommitBatcher).
        var batcher = _commits.GetOrAdd(node, n => new Lazy<CommitBatcher>(() => new CommitBatcher(client, n))).Value;
        return batcher.CommitAsync(request, cancellationToken);
    }

    public async ValueTask<HlcTimestamp> CommitOnePhaseAsync(string node, OnePhaseCommitRequest request, CancellationToken cancellationToken)
    {
        request = request with { Resource = ClusterAgent.LocalName(request.Resource) };
        return node == self
            ? await local.CommitOnePhaseAsync(request, cancellationToken).ConfigureAwait(false)
            : WireFormat.ReadCommitted(await client.PostAsync(node, "internal/commit-one-phase", WireFormat.OnePhase(request), cancellationToken).ConfigureAwait(false))
                ?? request.CommitTimestamp; // an older node: it committed at or above the timestamp it was sent
    }

    public async ValueTask AbortAsync(string node, AbortRequest request, CancellationToken cancellationToken)
    {
        request = request with { Resource = ClusterAgent.LocalName(request.Resource) };
        if (node == self)
        {
            await local.AbortAsync(request, cancellationToken).ConfigureAwait(false);
            return;
        }

        await client.PostAsync(node, "internal/abort", WireFormat.Abort(request), cancellationToken).ConfigureAwait(false);
    }
}
