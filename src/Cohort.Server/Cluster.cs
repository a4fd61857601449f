using System.Collections.Concurrent;
using Cohort.Coordination;
using Cohort.Core;

namespace Cohort.Server;

/// <summary>
/// Membership and placement as the master sees them: the nodes (from <c>--nodes</c>, joins and adds), whether each
/// answered its last heartbeat, and which node is home to each resource. Every node's default SQL shard is
/// addressed as <c>sql:default@host:port</c>; plain <c>sql:default</c> means the master's own.
/// </summary>
internal sealed class Cluster(string self, bool isMaster) : IPlacement
{
    /// <summary>The separator between a node-local resource name and its node.</summary>
    public const char NodeSeparator = '@';

    private readonly ConcurrentDictionary<string, ClusterMember> _members = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _homes = new(StringComparer.Ordinal);

    /// <summary>This node's address.</summary>
    public string Self { get; } = self;

    /// <summary>The master's address, when known.</summary>
    public string? Master { get; set; } = isMaster ? self : null;

    /// <summary>The known nodes.</summary>
    public IReadOnlyList<ClusterMember> Members => [.. _members.Values.OrderBy(m => m.Address, StringComparer.Ordinal)];

    /// <summary>Every resource with its home node.</summary>
    public IReadOnlyDictionary<string, string> Homes => _homes;

    /// <summary>Adds (or refreshes) a node and the resources it hosts.</summary>
    public ClusterMember Add(string address, IReadOnlyList<string>? resources, DateTimeOffset now)
    {
        var member = _members.GetOrAdd(address, a => new ClusterMember(a, a == Master));
        member.Alive = true;
        member.LastSeen = now;
        if (resources is not null)
        {
            member.Resources = resources;
            foreach (var resource in resources)
            {
                if (!IsDefaultShard(resource))
                {
                    _homes[resource] = address;
                }
            }
        }

        return member;
    }

    /// <summary>Removes a node; its resources have no home until it joins again.</summary>
    public bool Remove(string address)
    {
        if (!_members.TryRemove(address, out _))
        {
            return false;
        }

        foreach (var (resource, home) in _homes)
        {
            if (home == address)
            {
                _homes.TryRemove(resource, out _);
            }
        }

        return true;
    }

    /// <summary>The node, if known.</summary>
    public ClusterMember? Find(string address) => _members.TryGetValue(address, out var member) ? member : null;

    /// <inheritdoc/>
    public string? NodeOf(string resource)
    {
        var at = resource.IndexOf(NodeSeparator, StringComparison.Ordinal);
        if (at >= 0)
        {
            var node = resource[(at + 1)..];
            return _members.ContainsKey(node) ? node : null;
        }

        if (IsDefaultShard(resource))
        {
            return Self;
        }

        return _homes.TryGetValue(resource, out var home) ? home : null;
    }

    /// <summary>The name a resource has on its home node (<c>sql:default@n</c> is <c>sql:default</c> there).</summary>
    public static string LocalName(string resource)
    {
        var at = resource.IndexOf(NodeSeparator, StringComparison.Ordinal);
        return at >= 0 ? resource[..at] : resource;
    }

    /// <summary>Whether a resource is a node's default shard, of which every node has its own.</summary>
    public static bool IsDefaultShard(string resource) => LocalName(resource) is "sql:default" or "pg:default";

    /// <summary>Throws <c>unknown_resource</c> unless the resource has a home.</summary>
    public string HomeOf(string resource) =>
        NodeOf(resource) ?? throw new CohortException(CoordinationErrorCodes.UnknownResource, $"Resource '{resource}' is not hosted by any known node.", isTransient: false);
}
