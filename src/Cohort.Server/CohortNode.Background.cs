using Cohort.Core;
using Cohort.Server.Services;

namespace Cohort.Server;

public sealed partial class CohortNode
{
    // Membership, heartbeats and elections run on their own loop; nothing here waits on transaction work, so a slow
    // prepare never makes this node look dead. The dashboard's sampler runs beside it.
    private Task RunBackgroundAsync(NodeServices services, CancellationToken cancellationToken) =>
        Task.WhenAll(Cluster.RunAsync(cancellationToken), services.Stats.RunAsync(cancellationToken));

    /// <summary>
    /// Creates the replicated resources the node was started with (<see cref="NodeOptions.Replicated"/>) that do not
    /// exist yet, through the leader, retrying every two heartbeats while that fails transiently (no leader yet, too
    /// few members alive); one that exists (another node created it) is left as it is.
    /// </summary>
    private async Task CreateConfiguredAsync(ResourceService resources, CancellationToken cancellationToken)
    {
        var pending = Options.Replicated.ToDictionary(StringComparer.Ordinal);
        var told = new HashSet<string>(StringComparer.Ordinal);
        while (pending.Count > 0 && !cancellationToken.IsCancellationRequested)
        {
            foreach (var (resource, copies) in pending.ToList())
            {
                try
                {
                    var placement = await resources.CreateReplicatedAsync(resource, copies, node: null, dsn: null, cancellationToken).ConfigureAwait(false);
                    Log.ConfiguredReplicated(Logger, resource, copies, $"created, primary {placement.Node}, replicas {string.Join(", ", placement.Replicas ?? [])}");
                    pending.Remove(resource);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (CohortException e) when (!e.IsTransient)
                {
                    // It exists (created by another node, or before a restart), or it cannot be made: either way, done.
                    Log.ConfiguredReplicated(Logger, resource, copies, $"{e.Code}: {e.Message}");
                    pending.Remove(resource);
                }
                catch (CohortException e)
                {
                    if (told.Add(resource))
                    {
                        Log.ConfiguredReplicatedWaiting(Logger, resource, copies, $"{e.Code}: {e.Message}");
                    }
                }
                catch (Exception e) when (e is HttpRequestException or IOException or TimeoutException)
                {
                    if (told.Add(resource))
                    {
                        Log.ConfiguredReplicatedWaiting(Logger, resource, copies, e.Message);
                    }
                }
            }

            if (pending.Count > 0)
            {
                try
                {
                    await Task.Delay(Options.Heartbeat * 2, Time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
