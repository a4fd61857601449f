namespace Cohort.Server;

public sealed partial class CohortNode
{
    /// <summary>Whether the member at <paramref name="address"/> counts as alive now (this node always does).</summary>
    internal bool IsAlive(string address) => address == Address || Cluster.IsAlive(address);

    // Membership, heartbeats and elections run on their own loop; nothing here waits on transaction work, so a slow
    // prepare never makes this node look dead.
    private Task RunBackgroundAsync(CancellationToken cancellationToken) => Cluster.RunAsync(cancellationToken);
}
