using Cohort.Coordination;
using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Cluster;

public sealed partial class ClusterAgent
{
    /// <summary>The separator between a node-local resource name and its node (<c>sql:default@127.0.0.1:7001</c>).</summary>
    public const char NodeSeparator = '@';

    /// <summary>Every resource other than the default shards with its home node, as the members last reported them.</summary>
    public IReadOnlyDictionary<string, string> Homes
    {
        get
        {
            // Asked for every operation a node routes: rebuilt only after something it depends on changed.
            var cached = Volatile.Read(ref _homes);
            if (cached is not null)
            {
                return cached;
            }

            var version = Interlocked.Read(ref _placementVersion);
            var homes = new Dictionary<string, string>(StringComparer.Ordinal);
            var view = _options.Directory?.View;
            foreach (var resource in _localResources())
            {
                // With a directory, a local resource it does not place yet is still this node's (its claim is on the way).
                if (!IsDefaultShard(resource) && (view is null || !view.Homes.ContainsKey(resource)))
                {
                    homes[resource] = Self;
                }
            }

            lock (_sync)
            {
                if (view is not null)
                {
                    // The directory's word: every node sees the same homes, each on a member.
                    foreach (var (resource, home) in view.Homes)
                    {
                        if (!IsDefaultShard(resource) && (home == Self || _members.Contains(home)))
                        {
                            homes[resource] = home;
                        }
                    }
                }
                else
                {
                    var now = _time.GetUtcNow();
                    foreach (var address in _members)
                    {
                        if (address == Self)
                        {
                            continue;
                        }

                        foreach (var resource in _peers[address].Resources)
                        {
                            // A resource reported by two nodes (one of them stale) goes to the alive one.
                            if (!IsDefaultShard(resource) && (!homes.TryGetValue(resource, out var other) || !IsAliveLocked(other, now)))
                            {
                                homes[resource] = address;
                            }
                        }
                    }
                }

                // A replicated resource lives where its configuration's primary is, whatever else says.
                foreach (var (resource, primary) in _options.Primaries?.Invoke() ?? [])
                {
                    homes[resource] = primary;
                }

                if (Interlocked.Read(ref _placementVersion) == version)
                {
                    Volatile.Write(ref _homes, homes);
                }
            }

            return homes;
        }
    }

    /// <summary>
    /// Records this node as the home of the new resource <paramref name="resource"/> before it is created here; returns
    /// the recorded home, another node's when that one claimed it first. Without a directory placement travels with
    /// heartbeats, and this returns this node.
    /// </summary>
    public async Task<string> ClaimAsync(string resource, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(resource);
        if (_options.Directory is not { } directory || IsDefaultShard(resource))
        {
            return Self;
        }

        var home = await directory.ClaimAsync(resource, Self, cancellationToken).ConfigureAwait(false);
        InvalidatePlacement();
        return home;
    }

    /// <summary>Gives up this node's claim on <paramref name="resource"/> (its creation failed); nothing without a directory.</summary>
    public async Task ReleaseAsync(string resource, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(resource);
        if (_options.Directory is { } directory && !IsDefaultShard(resource))
        {
            await directory.ReleaseAsync(resource, Self, cancellationToken).ConfigureAwait(false);
            InvalidatePlacement();
        }
    }

    /// <summary>
    /// With a directory: claims every local resource it does not place yet (they were created before the directory was
    /// used, or their claim was lost), and logs those it places on another node, which this node then does not serve.
    /// </summary>
    public async Task ClaimLocalResourcesAsync(CancellationToken cancellationToken = default)
    {
        if (_options.Directory is not { } directory)
        {
            return;
        }

        foreach (var resource in _localResources().Where(r => !IsDefaultShard(r)))
        {
            var home = directory.View?.Homes.GetValueOrDefault(resource) ?? await ClaimAsync(resource, cancellationToken).ConfigureAwait(false);
            if (home != Self)
            {
                Log.ResourcePlacedElsewhere(_logger, resource, home);
            }
        }
    }

    /// <summary>Forgets the placement built from earlier reports (after any change of resources, members or liveness).</summary>
    private void InvalidatePlacement()
    {
        Interlocked.Increment(ref _placementVersion);
        Volatile.Write(ref _homes, null);
    }

    /// <inheritdoc/>
    public long TermOf(string resource) => _options.Terms?.Invoke(resource) ?? 0;

    /// <inheritdoc/>
    public string? NodeOf(string resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var at = resource.IndexOf(NodeSeparator, StringComparison.Ordinal);
        if (at >= 0)
        {
            var node = resource[(at + 1)..];
            lock (_sync)
            {
                return _members.Contains(node) ? node : null;
            }
        }

        if (IsDefaultShard(resource))
        {
            return Self;
        }

        return Homes.TryGetValue(resource, out var home) ? home : null;
    }

    /// <summary>Throws <c>unknown_resource</c> unless the resource has a home.</summary>
    public string HomeOf(string resource) =>
        NodeOf(resource) ?? throw new CohortException(ErrorCodes.UnknownResource, $"Resource '{resource}' is not hosted by any known node.", isTransient: false);

    /// <summary>
    /// Where a new resource should go: the alive member homing the fewest resources, then with the fewest
    /// transactions in flight, then the lowest address.
    /// </summary>
    public string LeastLoaded()
    {
        var members = Members.Where(m => m.Alive).ToList();
        return members
            .OrderBy(m => m.Resources.Count(r => !IsDefaultShard(r)))
            .ThenBy(m => m.InFlight)
            .ThenBy(m => m.Address, StringComparer.Ordinal)
            .Select(m => m.Address)
            .FirstOrDefault() ?? Self;
    }

    /// <summary>The name a resource has on its home node (<c>sql:default@n</c> is <c>sql:default</c> there).</summary>
    public static string LocalName(string resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var at = resource.IndexOf(NodeSeparator, StringComparison.Ordinal);
        return at >= 0 ? resource[..at] : resource;
    }

    /// <summary>Whether a resource is a node's default shard, of which every node has its own.</summary>
    public static bool IsDefaultShard(string resource) => LocalName(resource) is ResourceNames.DefaultSql or ResourceNames.DefaultPg;
}
