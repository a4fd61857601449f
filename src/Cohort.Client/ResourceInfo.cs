namespace Cohort.Client;

/// <summary>A resource of the cluster and the node that hosts it.</summary>
/// <param name="Name">The resource name (default SQL shards as <c>sql:default@host:port</c>).</param>
/// <param name="Node">The hosting node's address.</param>
/// <param name="Available">
/// Whether that node is alive as the answering node sees it; a down node's resources are listed, unavailable, until it
/// is back (calls to them fail <c>unavailable</c> meanwhile).
/// </param>
public sealed record ResourceInfo(string Name, string Node, bool Available = true);
