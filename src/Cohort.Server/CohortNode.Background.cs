namespace Cohort.Server;

public sealed partial class CohortNode
{
    // Membership, heartbeats and elections run on their own loop; nothing here waits on transaction work, so a slow
    // prepare never makes this node look dead.
    private Task RunBackgroundAsync(CancellationToken cancellationToken) => Cluster.RunAsync(cancellationToken);
}
