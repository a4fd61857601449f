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
            foreach (var resource in _localResources())
            {
                if (!IsDefaultShard(resource))
                {
                    homes[resource] = Self;
                }
            }

            lock (_sync)
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

                if (Interlocked.Read(ref _placementVersion) == version)
                {
                    Volatile.Write(ref _homes, homes);
                }
            }

            return homes;
        }
    }

    /// <summary>Forgets the placement built from earlier reports (after any change of resources, members or liveness).</summary>
    private void InvalidatePlacement()
    {
        Interlocked.Increment(ref _placementVersion);
        Volatile.Write(ref _homes, null);
    }

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
