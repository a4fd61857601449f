using Cohort.Coordination;
using Cohort.Simulation.Runtime;

namespace Cohort.Simulation.Cluster;

/// <summary>
/// A coordinator's leadership through <see cref="SimMetadata"/>, with the etcd backend's rule: campaign while not
/// leading; while leading keep the lease alive every third of its TTL, and stop leading at the last confirmed
/// keep-alive + TTL − TTL/3 (measured from when that keep-alive was sent), whether or not etcd answered since.
/// </summary>
internal sealed class SimLeadership(SimCluster cluster, string holder) : ILeadership
{
    public static readonly TimeSpan Ttl = TimeSpan.FromMilliseconds(90);

    private long _epoch;
    private long _validUntil;

    public long Epoch => Volatile.Read(ref _epoch);

    public bool IsLeader => _epoch != 0 && cluster.Loop.Now < _validUntil;

    /// <summary>Raised (on the coordinator's process) when it starts leading at an epoch.</summary>
    public event Action<long>? Gained;

    public void Start() => _ = RunAsync(cluster.Loop.Running!);

    private async Task RunAsync(SimProcess process)
    {
        var loop = cluster.Loop;
        while (process.Alive)
        {
            var sent = loop.Now;
            try
            {
                if (!IsLeader)
                {
                    var epoch = await cluster.Net.CallEtcdAsync(holder, () => cluster.Metadata.Campaign(holder, Ttl), CancellationToken.None).ConfigureAwait(false);
                    if (epoch is { } won)
                    {
                        var gained = won != _epoch;
                        _epoch = won;
                        _validUntil = sent + (Ttl - (Ttl / 3)).Ticks;
                        if (gained)
                        {
                            cluster.Trace($"{holder} leads at epoch {won}");
                            Gained?.Invoke(won);
                        }
                    }
                }
                else if (await cluster.Net.CallEtcdAsync(holder, () => cluster.Metadata.KeepAlive(_epoch, Ttl), CancellationToken.None).ConfigureAwait(false))
                {
                    _validUntil = sent + (Ttl - (Ttl / 3)).Ticks;
                }
            }
            catch (Exception e) when (e is IOException or TimeoutException or OperationCanceledException)
            {
                // Retried; meanwhile the lease runs out by itself.
            }

            await Task.Delay(Ttl / 3, loop.Clock).ConfigureAwait(false);
        }
    }
}
