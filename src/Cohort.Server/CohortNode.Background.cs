using System.Collections.Immutable;
using Cohort.Core;
using Microsoft.Extensions.Logging;

namespace Cohort.Server;

public sealed partial class CohortNode
{
    // A node that has not been heard from for this many heartbeats counts as down.
    private const int MissedHeartbeats = 3;

    /// <summary>Whether a member counts as alive now.</summary>
    internal bool IsAlive(ClusterMember member) =>
        member.Address == Address || (member.Alive && Time.GetUtcNow() - member.LastSeen <= Options.Heartbeat * MissedHeartbeats);

    private async Task RunBackgroundAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Options.Heartbeat, Time);
        var joined = false;
        do
        {
            try
            {
                if (IsMaster)
                {
                    // Nodes announce themselves every heartbeat; one silent for too long is marked down.
                    foreach (var member in Cluster.Members)
                    {
                        var alive = IsAlive(member);
                        if (member.Alive != alive)
                        {
                            member.Alive = alive;
                            Log.MemberChanged(Logger, member.Address, alive ? "alive" : "down");
                        }
                    }
                }
                else if (Cluster.Master is { } master)
                {
                    // Joining again every heartbeat is the heartbeat, and restores placement after a master restart.
                    await Client.PostAsync(master, "cluster/join", Value.Map(
                        ("address", Address),
                        ("resources", Value.List(ImmutableArray.CreateRange(LocalResources().Select(Value.From))))), cancellationToken).ConfigureAwait(false);
                    if (!joined)
                    {
                        joined = true;
                        Log.Joined(Logger, master, string.Join(", ", LocalResources()));
                    }
                }
            }
            catch (Exception e) when (e is CohortException or TimeoutException or HttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                if (joined || Logger.IsEnabled(LogLevel.Debug))
                {
                    Log.JoinFailed(Logger, Cluster.Master ?? "?", e.Message);
                }

                joined = false;
            }
        }
        while (await WaitAsync(timer, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
