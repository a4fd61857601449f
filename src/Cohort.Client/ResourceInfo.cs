namespace Cohort.Client;

/// <summary>A resource of the cluster and the node that hosts it.</summary>
/// <param name="Name">The resource name (default SQL shards as <c>sql:default@host:port</c>).</param>
/// <param name="Node">The hosting node's address.</param>
public sealed record ResourceInfo(string Name, string Node);
