namespace Cohort.Server.Services;

/// <summary>A resource and the node it lives on, as <c>/v1/resources</c> names them.</summary>
/// <param name="Name">The resource name (a default shard qualified with its node).</param>
/// <param name="Node">The home node's address (a replicated resource's primary).</param>
/// <param name="Replicas">A replicated resource's in-sync replicas; null for one that is not replicated.</param>
/// <param name="Version">A replicated resource's configuration version; 0 for one that is not replicated.</param>
/// <param name="Available">Whether its home node is alive as this node sees it (a dead member's resources are listed, unavailable).</param>
internal readonly record struct ResourcePlacement(string Name, string Node, IReadOnlyList<string>? Replicas = null, long Version = 0, bool Available = true);
