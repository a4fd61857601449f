namespace Cohort.Server.Services;

/// <summary>A resource and the node it lives on, as <c>/v1/resources</c> names them.</summary>
/// <param name="Name">The resource name (a default shard qualified with its node).</param>
/// <param name="Node">The home node's address.</param>
internal readonly record struct ResourcePlacement(string Name, string Node);
