using System.Collections.Concurrent;
using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Coordination;

/// <summary>Delivers protocol messages by direct call to the <see cref="ParticipantHost"/> of each node (one process, or tests).</summary>
public sealed class InProcessParticipantTransport : IParticipantTransport, IPlacement
{
    private readonly ConcurrentDictionary<string, ParticipantHost> _hosts = new(StringComparer.Ordinal);

    /// <summary>Registers (or replaces, after a restart) the host of its node.</summary>
    public void Register(ParticipantHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        _hosts[host.NodeId] = host;
    }

    /// <summary>Removes the host of <paramref name="node"/> (a node that is down).</summary>
    public void Unregister(string node) => _hosts.TryRemove(node, out _);

    /// <inheritdoc/>
    public string? NodeOf(string resource)
    {
        foreach (var host in _hosts.Values)
        {
            if (host.GetEngine(resource) is not null)
            {
                return host.NodeId;
            }
        }

        return null;
    }

    /// <inheritdoc/>
    public ValueTask<ApplyAnswer> ApplyAsync(string node, ApplyRequest request, CancellationToken cancellationToken) => Host(node).ApplyAsync(request, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<Vote> PrepareAsync(string node, PrepareRequest request, CancellationToken cancellationToken) => Host(node).PrepareAsync(request, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<BatchPrepareResult> ApplyAndPrepareAsync(string node, BatchPrepareRequest request, CancellationToken cancellationToken) => Host(node).ApplyAndPrepareAsync(request, cancellationToken);

    /// <inheritdoc/>
    public ValueTask CommitAsync(string node, CommitRequest request, CancellationToken cancellationToken) => Host(node).CommitAsync(request, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<HlcTimestamp> CommitOnePhaseAsync(string node, OnePhaseCommitRequest request, CancellationToken cancellationToken) => Host(node).CommitOnePhaseAsync(request, cancellationToken);

    /// <inheritdoc/>
    public ValueTask AbortAsync(string node, AbortRequest request, CancellationToken cancellationToken) => Host(node).AbortAsync(request, cancellationToken);

    private ParticipantHost Host(string node) =>
        _hosts.TryGetValue(node, out var host)
            ? host
            : throw new CohortException(ErrorCodes.Unavailable, $"Node {node} is not reachable.", isTransient: true);
}
