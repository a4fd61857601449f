using Cohort.Coordination;
using Cohort.Core.Execution;
using Cohort.Protocol;

namespace Cohort.Simulation.Cluster;

/// <summary>
/// The etcd of the simulation: a leader key held under a lease that expires unless kept alive, its create revision the
/// leader's epoch, and decision records whose writes are fenced on that key (put only while the writer's epoch is the
/// leader key's create revision), as the etcd backend writes them. It never crashes (etcd is replicated); the links to
/// it are slow, lossy and cut like any other.
/// </summary>
internal sealed class SimMetadata(SimCluster cluster)
{
    private readonly SortedDictionary<TxId, Record> _decisions = [];
    private long _revision;
    private (string Holder, long Epoch, long ExpiresAt)? _leader;

    /// <summary>The current leader and its epoch, if the lease has not expired.</summary>
    public (string Holder, long Epoch)? Leader
    {
        get
        {
            Expire();
            return _leader is { } l ? (l.Holder, l.Epoch) : null;
        }
    }

    public int FencedOff { get; private set; }

    /// <summary>Takes the leader key if nobody holds it; the epoch is its create revision.</summary>
    public long? Campaign(string holder, TimeSpan ttl)
    {
        Expire();
        if (_leader is not null)
        {
            return _leader.Value.Holder == holder ? _leader.Value.Epoch : null;
        }

        var epoch = ++_revision;
        _leader = (holder, epoch, cluster.Loop.Now + ttl.Ticks);
        cluster.Trace($"etcd: {holder} leads at epoch {epoch}");
        return epoch;
    }

    /// <summary>Renews the lease of the leader at <paramref name="epoch"/>; false once it has expired.</summary>
    public bool KeepAlive(long epoch, TimeSpan ttl)
    {
        Expire();
        if (_leader is not { } l || l.Epoch != epoch)
        {
            return false;
        }

        _leader = (l.Holder, l.Epoch, cluster.Loop.Now + ttl.Ticks);
        return true;
    }

    /// <summary>Records a commit decision, fenced on the writer's epoch; false when it does not lead (or the transaction was settled as aborted).</summary>
    public bool WriteCommit(CommitDecision decision)
    {
        // Two guards, as in the etcd backend's transaction: the fence on the leader key and create-if-absent (a decision
        // is never overwritten). The planted bug drops both: a deposed leader's write goes through, over whatever is there.
        var unguarded = Executor.IsPlanted(PlantedBug.DeposedLeaderWrites);
        if (!unguarded && (!Fenced(decision.Epoch) || _decisions.ContainsKey(decision.TxId)))
        {
            return false;
        }

        _revision++;
        _decisions[decision.TxId] = new Record(decision, Aborted: false, Ended: false);
        return true;
    }

    public void WriteEnd(TxId txId)
    {
        if (_decisions.TryGetValue(txId, out var record) && record.Decision is not null)
        {
            _decisions[txId] = record with { Ended = true };
        }
    }

    public DecisionAnswer Read(TxId txId) =>
        !_decisions.TryGetValue(txId, out var record) ? DecisionAnswer.Pending
        : record.Aborted ? DecisionAnswer.Aborted
        : DecisionAnswer.Committed(record.Decision!.CommitTimestamp);

    /// <summary>What the log says, or an abort the leader at <paramref name="epoch"/> records (fenced) when it says nothing.</summary>
    public DecisionAnswer? Settle(TxId txId, long epoch)
    {
        if (_decisions.ContainsKey(txId))
        {
            return Read(txId);
        }

        if (!Fenced(epoch))
        {
            return null;
        }

        _revision++;
        _decisions[txId] = new Record(null, Aborted: true, Ended: false);
        cluster.Trace($"etcd: epoch {epoch} settles {cluster.Workload.Label(txId)} as aborted");
        return DecisionAnswer.Aborted;
    }

    /// <summary>Commit decisions whose phase two has not ended.</summary>
    public List<CommitDecision> Unfinished() => [.. _decisions.Values.Where(r => r is { Decision: not null, Ended: false }).Select(r => r.Decision!)];

    private bool Fenced(long epoch)
    {
        Expire();
        if (_leader?.Epoch == epoch)
        {
            return true;
        }

        FencedOff++;
        return false;
    }

    private void Expire()
    {
        if (_leader is { } l && cluster.Loop.Now >= l.ExpiresAt)
        {
            cluster.Trace($"etcd: the lease of {l.Holder} (epoch {l.Epoch}) expired");
            _leader = null;
        }
    }

    private sealed record Record(CommitDecision? Decision, bool Aborted, bool Ended);
}
