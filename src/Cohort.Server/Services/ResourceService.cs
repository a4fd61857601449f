using System.Collections.Immutable;
using Cohort.Cluster;
using Cohort.Core;
using Cohort.Engines;
using Cohort.Protocol;
using Cohort.Server.Replication;
using Cohort.Transport;

namespace Cohort.Server.Services;

/// <summary>
/// Resources across the cluster: which exist and where (<c>GET /v1/resources</c>), where a resource lives for a
/// request, and the rules for creating one (<c>POST /v1/resources</c>) on the named node or the least-loaded alive one.
/// </summary>
internal sealed class ResourceService(string self, ClusterAgent cluster, ResourceRegistry registry, NodeClient client, ReplicatedResources? replication)
{
    /// <summary>
    /// The resources of every member, by member: its default shards, named with their node
    /// (<c>sql:default@host:port</c>), and the resources placed on it (<see cref="ClusterAgent.Homes"/>). A member that is
    /// down keeps its resources in the list (as it last reported them), marked unavailable: they come back with it.
    /// </summary>
    public IReadOnlyList<ResourcePlacement> List()
    {
        // Replicated resources are listed from their configurations, whether or not their primary is up (a failover
        // may be under way); the others with their home.
        var configurations = replication?.Configurations ?? new Dictionary<string, Cohort.Cluster.ResourceConfiguration>();
        var members = cluster.Members;
        var alive = members.Where(m => m.Alive).Select(m => m.Address).ToHashSet(StringComparer.Ordinal);
        var byHome = cluster.Homes.Where(h => !configurations.ContainsKey(h.Key)).ToLookup(h => h.Value, h => h.Key, StringComparer.Ordinal);
        return [.. members.SelectMany(m =>
            m.Resources.Where(ClusterAgent.IsDefaultShard).Select(r => new ResourcePlacement($"{r}{ClusterAgent.NodeSeparator}{m.Address}", m.Address, Available: m.Alive))
                .Concat(byHome[m.Address].Select(r => new ResourcePlacement(r, m.Address, Available: m.Alive)))
                .OrderBy(p => p.Name, StringComparer.Ordinal))
            .Concat(configurations.Values.OrderBy(c => c.Resource, StringComparer.Ordinal)
                .Select(c => new ResourcePlacement(c.Resource, c.Primary, c.Replicas, c.Version, alive.Contains(c.Primary))))];
    }

    /// <summary>
    /// The node <paramref name="resource"/> lives on, which must be alive: a resource whose home is down is refused
    /// before anything is sent, rather than reported in doubt after a message that could not be delivered.
    /// </summary>
    public string AliveHomeOf(string resource) => AliveHomeOf(cluster, self, resource);

    /// <inheritdoc cref="AliveHomeOf(string)"/>
    public static string AliveHomeOf(ClusterAgent cluster, string self, string resource)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var home = cluster.HomeOf(resource);
        return home == self || cluster.IsAlive(home)
            ? home
            : throw new CohortException(ErrorCodes.Unavailable, $"Resource '{resource}' lives on {home}, which is down; retry when it is back.", isTransient: true);
    }

    /// <summary>
    /// Checks that <paramref name="name"/> may be created at all: a known kind, and neither a node's default shard nor a
    /// node-qualified name (every node has its own default shard).
    /// </summary>
    public static void CheckNewName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        EngineFactory.KindOf(name);
        if (ClusterAgent.IsDefaultShard(name) || name.Contains(ClusterAgent.NodeSeparator, StringComparison.Ordinal))
        {
            throw new CohortException(ErrorCodes.BadOperation, $"'{name}' is a node's default shard or node-qualified name; every node has its own.", isTransient: false);
        }
    }

    /// <summary>
    /// Creates <paramref name="name"/> on <paramref name="node"/>, or on the least-loaded alive member when none is named.
    /// Placement travels with heartbeats, so every node knows the new home within one interval (the node that created it
    /// knows at once); with the etcd backend it is recorded there before the resource is created, and every node's watch
    /// shows it. <paramref name="request"/> is the request as received, passed on when another node creates it.
    /// </summary>
    public async Task<ResourcePlacement> CreateAsync(string name, string? node, string? dsn, Value request, CancellationToken cancellationToken)
    {
        CheckNewName(name);
        var replicas = WireFields.OptLong(request, "replicas") ?? 1;
        if (replicas is < 1 or > 9)
        {
            throw new CohortException(ErrorCodes.BadRequest, $"'replicas' is {replicas}; a resource has 1 to 9 copies.", isTransient: false);
        }

        if (replicas > 1)
        {
            return await CreateReplicatedAsync(name, (int)replicas, node, dsn, cancellationToken).ConfigureAwait(false);
        }

        if (cluster.NodeOf(name) is { } home)
        {
            throw new CohortException(ErrorCodes.BadOperation, $"Resource '{name}' already exists on {home}.", isTransient: false);
        }

        var target = node ?? cluster.LeastLoaded();
        if (target != self)
        {
            if (!cluster.IsAlive(target))
            {
                // A member that is down may come back (transient); an address that is no member never will.
                var member = cluster.Members.Any(m => m.Address == target);
                throw new CohortException(ErrorCodes.Unavailable, $"Node {target} is not an alive member; resources can be created only on alive members.", isTransient: member);
            }

            var forwarded = Value.Map(request.AsMap().SetItem("node", target));
            var answer = await client.PostAsync(target, "v1/resources", forwarded, cancellationToken).ConfigureAwait(false);
            return new ResourcePlacement(WireFields.Str(answer, "name"), WireFields.Str(answer, "node"));
        }

        // With the etcd backend the name is claimed first: of two nodes creating it at once, one wins.
        var claimed = await cluster.ClaimAsync(name, cancellationToken).ConfigureAwait(false);
        if (claimed != self)
        {
            throw new CohortException(ErrorCodes.BadOperation, $"Resource '{name}' already exists on {claimed}.", isTransient: false);
        }

        try
        {
            await registry.OpenAsync(name, dsn, cancellationToken).ConfigureAwait(false);
        }
        catch when (!registry.Names().Contains(name, StringComparer.Ordinal))
        {
            await cluster.ReleaseAsync(name, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        cluster.AnnounceSoon();
        return new ResourcePlacement(name, self);
    }

    /// <summary>
    /// Creates a replicated resource (<c>"replicas": n</c> with n &gt; 1, etcd backend): the leader places its primary
    /// and replicas and records the configuration; this node forwards to the leader when it does not lead.
    /// </summary>
    public async Task<ResourcePlacement> CreateReplicatedAsync(string name, int replicas, string? node, string? dsn, CancellationToken cancellationToken)
    {
        if (replication is null)
        {
            throw new CohortException(ErrorCodes.BadRequest, "Replicated resources ('replicas' > 1) need the etcd backend (start the nodes with --etcd).", isTransient: false);
        }

        if (dsn is not null || name.StartsWith(ResourceNames.PgPrefix, StringComparison.Ordinal))
        {
            throw new CohortException(ErrorCodes.BadRequest, "Only embedded resources (kv, queue, resource, sql) are replicated by Cohort; a PostgreSQL database replicates itself.", isTransient: false);
        }

        if (cluster.NodeOf(name) is { } home)
        {
            throw new CohortException(ErrorCodes.BadOperation, $"Resource '{name}' already exists on {home}.", isTransient: false);
        }

        if (!cluster.IsLeader)
        {
            var leader = cluster.Master ?? throw new CohortException(ErrorCodes.NoLeader, "No leader to create the replicated resource; retry.", isTransient: true);
            var answer = await client.PostAsync(leader, "internal/replication/create", Value.Map(("name", name), ("replicas", (long)replicas), ("node", Value.From(node))), cancellationToken).ConfigureAwait(false);
            return Placement(answer);
        }

        var config = await replication.CreateAsync(name, replicas, node, cancellationToken).ConfigureAwait(false);
        return new ResourcePlacement(config.Resource, config.Primary, config.Replicas, config.Version);
    }

    /// <summary>The JSON of a placement (<c>/v1/resources</c>).</summary>
    public static Value ToValue(ResourcePlacement placement) => placement.Replicas is { } replicas
        ? Value.Map(("name", placement.Name), ("node", placement.Node), ("available", placement.Available), ("replicas", Value.List(replicas.Select(Value.From).ToImmutableArray())), ("version", placement.Version))
        : Value.Map(("name", placement.Name), ("node", placement.Node), ("available", placement.Available));

    /// <summary>Reads what <see cref="ToValue"/> wrote.</summary>
    public static ResourcePlacement Placement(Value answer) => new(
        WireFields.Str(answer, "name"),
        WireFields.Str(answer, "node"),
        answer.AsMap().ContainsKey("replicas") ? [.. WireFields.List(answer, "replicas").Select(r => r.AsString())] : null,
        WireFields.OptLong(answer, "version") ?? 0,
        !answer.AsMap().TryGetValue("available", out var available) || available.Kind != ValueKind.Bool || available.AsBool());
}
