using Cohort.Cluster;
using Cohort.Coordination;
using Cohort.Core;
using Cohort.Protocol;
using Cohort.Storage.Replication;
using Microsoft.Extensions.Logging;

namespace Cohort.Server.Replication;

/// <summary>What a primary asks the leader to change in its resource's configuration.</summary>
internal enum ChangeKind
{
    /// <summary>Take a replica that stopped answering (or lost the stream) out.</summary>
    RemoveReplica,

    /// <summary>Add a replica that caught up with the stream.</summary>
    AddReplica,

    /// <summary>The primary holds no copy (a lost disk): promote a replica instead.</summary>
    PrimaryLost,
}

/// <content>The leader's part: configurations are created and changed only by the leader, fenced on its epoch.</content>
internal sealed partial class ReplicatedResources
{
    /// <summary>
    /// Leader only: places a new replicated resource — the primary on <paramref name="node"/> or the least-loaded alive
    /// member, its replicas on the next least-loaded others — records the configuration (version 1) and has the primary
    /// create it.
    /// </summary>
    public async Task<ResourceConfiguration> CreateAsync(string resource, int factor, string? node, CancellationToken cancellationToken)
    {
        var epoch = LeaderEpoch("create a replicated resource");
        var alive = _cluster.Members.Where(m => m.Alive).OrderBy(m => m.Resources.Count).ThenBy(m => m.Address, StringComparer.Ordinal).Select(m => m.Address).ToList();
        if (node is not null && !alive.Contains(node, StringComparer.Ordinal))
        {
            throw new CohortException(ErrorCodes.Unavailable, $"Node {node} is not an alive member; a replicated resource's primary must be.", isTransient: true);
        }

        if (alive.Count < factor)
        {
            throw new CohortException(ErrorCodes.Unavailable, $"{resource} needs {factor} alive nodes for its {factor} copies; {alive.Count} are alive.", isTransient: true);
        }

        var primary = node ?? alive[0];
        var replicas = alive.Where(a => a != primary).Take(factor - 1).ToList();
        var config = ResourceConfiguration.Create(resource, 1, primary, replicas) with { Factor = factor };

        // The primary marks its empty copy first: a primary whose directory lacks the mark has lost its disk, and must
        // never open it empty as if the resource were new.
        if (primary == Self)
        {
            await PrepareCreateAsync(resource, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await _client.PostAsync(primary, "internal/replication/prepare", Value.Map(("resource", resource)), cancellationToken).ConfigureAwait(false);
        }

        await _configs.CreateAsync(epoch, config, cancellationToken).ConfigureAwait(false);
        ReplicationLog.Changed(_logger, resource, 1, primary, string.Join(", ", replicas), "created");

        // The primary creates the engine now, so the resource serves as soon as this answers.
        if (primary == Self)
        {
            await ReconcileAsync(resource, cancellationToken, config).ConfigureAwait(false);
        }
        else
        {
            await _client.PostAsync(primary, "internal/replication/open", Value.Map(("resource", resource), ("version", 1L)), cancellationToken).ConfigureAwait(false);
        }

        return config;
    }

    /// <summary>
    /// The first primary's side of <see cref="CreateAsync"/>, before the configuration exists: an empty directory marked
    /// as a member's copy (what an earlier, failed creation left there goes).
    /// </summary>
    public async Task PrepareCreateAsync(string resource, CancellationToken cancellationToken)
    {
        var member = _members.GetOrAdd(resource, static (r, time) => new Member(r, time.GetTimestamp()), _time);
        await member.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Asked of etcd itself, not the view (which may lag): a directory is wiped only when no configuration exists.
            if (member.Engine is not null || member.Store is not null || await _configs.ReadAsync(resource, cancellationToken).ConfigureAwait(false) is not null)
            {
                throw new CohortException(ErrorCodes.ConfigurationMoved, $"{resource} exists already.", isTransient: false);
            }

            var directory = DirectoryOf(resource);
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }

            ReplicaStore.MarkMember(directory, 1);
        }
        finally
        {
            member.Gate.Release();
        }
    }

    /// <summary>The primary's side of <see cref="CreateAsync"/>: open the engine of a configuration at version 1.</summary>
    public async Task OpenCreatedAsync(string resource, long version, CancellationToken cancellationToken)
    {
        var config = await _configs.ReadAsync(resource, cancellationToken).ConfigureAwait(false);
        if (config is null || config.Version != version || config.Primary != Self)
        {
            throw new CohortException(ErrorCodes.ConfigurationMoved, $"{resource} is not at version {version} with {Self} as its primary ({config?.ToString() ?? "no configuration"}).", isTransient: false);
        }

        await ReconcileAsync(resource, cancellationToken, config).ConfigureAwait(false);
    }

    /// <summary>
    /// Leader only: applies a primary's request (<c>POST /internal/replication/change</c>) to the configuration it was
    /// computed from; a request from anything but that configuration's primary, or against another version, is refused.
    /// </summary>
    public async Task<ResourceConfiguration> ChangeAsync(string resource, long version, string from, ChangeKind kind, string subject, CancellationToken cancellationToken)
    {
        var epoch = LeaderEpoch("change a replicated resource");
        var config = _configs.Current.GetValueOrDefault(resource)
            ?? throw new CohortException(ErrorCodes.UnknownResource, $"{resource} has no replicated configuration.", isTransient: false);
        if (config.Version != version || config.Primary != from)
        {
            throw new CohortException(ErrorCodes.ConfigurationMoved, $"{resource} is at {config}; the request was for version {version} with primary {from}.", isTransient: false);
        }

        ResourceConfiguration next;
        switch (kind)
        {
            case ChangeKind.RemoveReplica when config.Replicas.Contains(subject, StringComparer.Ordinal):
                next = config.Next(config.Primary, config.Replicas.Where(r => r != subject));
                break;
            case ChangeKind.AddReplica when !config.Members.Contains(subject, StringComparer.Ordinal) && config.Members.Count < config.Factor:
                next = config.Next(config.Primary, [.. config.Replicas, subject]);
                break;
            case ChangeKind.PrimaryLost when subject == config.Primary:
                next = Promotion(config) ?? throw new CohortException(ErrorCodes.Unavailable, $"{resource} has no alive replica to promote.", isTransient: true);
                break;
            default:
                return config;
        }

        next = await _configs.ChangeAsync(epoch, next, cancellationToken).ConfigureAwait(false);
        ReplicationLog.Changed(_logger, resource, next.Version, next.Primary, string.Join(", ", next.Replicas), $"{kind} {subject}");
        return next;
    }

    // The primary asks the leader (or, leading, changes it itself); it tries until the configuration moved on. True once a
    // newer configuration exists (this change or another); false when the leader had nothing to change, or stopping.
    private async Task<bool> RequestChangeAsync(ResourceConfiguration config, ChangeKind kind, string subject)
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), jitter: 0.5);
        while (!_stop.IsCancellationRequested)
        {
            if (_configs.Current.GetValueOrDefault(config.Resource)?.Version != config.Version)
            {
                return true;
            }

            try
            {
                long? version = null;
                if (_cluster.IsLeader)
                {
                    version = (await ChangeAsync(config.Resource, config.Version, Self, kind, subject, _stop.Token).ConfigureAwait(false)).Version;
                }
                else if (_cluster.Master is { } leader)
                {
                    var answer = await _client.PostAsync(leader, "internal/replication/change", Value.Map(
                        ("resource", config.Resource),
                        ("version", config.Version),
                        ("from", Self),
                        ("kind", kind.ToString()),
                        ("subject", subject)), _stop.Token).ConfigureAwait(false);
                    version = WireFields.Long(answer, "version");
                }

                if (version == config.Version)
                {
                    return false; // nothing to change
                }

                // Changed, or no leader to ask yet: the loop ends once the view shows a newer configuration.
            }
            catch (Exception e) when (e is CohortException or TimeoutException or OperationCanceledException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return false;
                }

                ReplicationLog.ChangeFailed(_logger, config.Resource, $"{kind} {subject}", e.Message);
                if (e is CohortException { Code: ErrorCodes.ConfigurationMoved })
                {
                    return true;
                }
            }

            try
            {
                await Task.Delay(backoff.Next(), _time, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        return false;
    }

    // Leader only, every tick: a configuration whose primary is down gets an alive replica of it as its primary.
    private async Task LeadAsync(CancellationToken cancellationToken)
    {
        // A node that has just started has not heard every member yet: silence is not yet a failure.
        if (!_cluster.IsLeader || _time.GetElapsedTime(_startedAt) < _options.Heartbeat * Math.Max(_options.Misses, 2) * 2)
        {
            return;
        }

        var epoch = ((ILeadership)_cluster).Epoch;
        foreach (var config in _configs.Current.Values)
        {
            if (config.Primary == Self || _cluster.IsAlive(config.Primary))
            {
                continue;
            }

            if (Promotion(config) is not { } next)
            {
                ReplicationLog.NoCandidate(_logger, config.Resource, config.Primary, config.Version);
                continue;
            }

            try
            {
                next = await _configs.ChangeAsync(epoch, next, cancellationToken).ConfigureAwait(false);
                ReplicationLog.Changed(_logger, config.Resource, next.Version, next.Primary, string.Join(", ", next.Replicas), $"primary {config.Primary} is down");
            }
            catch (CohortException e)
            {
                ReplicationLog.ChangeFailed(_logger, config.Resource, "promotion", e.Message);
            }
        }
    }

    // The first alive replica of the configuration becomes primary; the old primary is out (it rejoins by catching up).
    private ResourceConfiguration? Promotion(ResourceConfiguration config)
    {
        var candidate = config.Replicas.FirstOrDefault(r => r == Self || _cluster.IsAlive(r));
        return candidate is null ? null : config.Next(candidate, config.Replicas.Where(r => r != candidate));
    }

    private long LeaderEpoch(string what)
    {
        if (!_cluster.IsLeader)
        {
            throw new CohortException(ErrorCodes.NoLeader, $"Only the leader may {what}; this node ({Self}) does not lead now{(_cluster.Master is { } m ? $" ({m} does)" : string.Empty)}.", isTransient: true);
        }

        return ((ILeadership)_cluster).Epoch;
    }
}
