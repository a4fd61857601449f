using Cohort.Coordination;
using Cohort.Protocol;

namespace Cohort.Tests.Coordination;

/// <summary>
/// An in-memory model of a fenced shared decision log (what the etcd backend promises), as the environment of a
/// coordinator under test. One record per transaction — a commit decision or an abort marker — that nothing overwrites;
/// a commit is recorded only at the epoch that holds the leadership (<see cref="LeaderEpoch"/>), an abort only by
/// <see cref="SettleAsync"/> at that epoch. END removes a commit record (etcd deletes the key). The node's own view
/// of unfinished decisions (<see cref="GetUnfinished"/>) is the real <see cref="FileDecisionLog"/> it is attached to,
/// plus what <see cref="ReloadAsync"/> read from the shared records.
/// </summary>
/// <remarks>
/// The model outlives the coordinators: <see cref="Attach"/> puts it over each new coordinator's own log (a
/// successor on another node shares the records, not the file).
/// </remarks>
internal sealed class SharedLogModel : ISharedDecisionLog
{
    private readonly Lock _gate = new();

    // Null: an abort marker recorded by a leader while settling.
    private readonly Dictionary<TxId, CommitDecision?> _records = [];
    private readonly HashSet<TxId> _ended = [];
    private readonly Dictionary<TxId, CommitDecision> _reloaded = [];
    private IDecisionLog? _local;
    private long _leaderEpoch = 1;
    private int _writes;
    private int _reads;
    private int _settles;
    private int _reloads;

    /// <summary>How <see cref="WriteCommitAsync"/> fails: not at all, or with an unknown outcome.</summary>
    public enum WriteFault
    {
        /// <summary>Writes answer truthfully.</summary>
        None,

        /// <summary>The write never lands; the writer is told <c>unavailable</c> (it cannot know that nothing was written).</summary>
        LostWrite,

        /// <summary>The write lands (when the fence allows it) but its answer is lost: the writer is told <c>unavailable</c>.</summary>
        LostAnswer,
    }

    /// <summary>The epoch that holds the leadership now; only it may record commits and aborts.</summary>
    public long LeaderEpoch
    {
        get => Interlocked.Read(ref _leaderEpoch);
        set => Interlocked.Exchange(ref _leaderEpoch, value);
    }

    /// <summary>How the next commit writes fail (until set back to <see cref="WriteFault.None"/>).</summary>
    public WriteFault Fault { get; set; }

    /// <summary><see cref="WriteCommitAsync"/> calls.</summary>
    public int Writes => Volatile.Read(ref _writes);

    /// <summary><see cref="ReadAsync"/> calls.</summary>
    public int Reads => Volatile.Read(ref _reads);

    /// <summary><see cref="SettleAsync"/> calls.</summary>
    public int Settles => Volatile.Read(ref _settles);

    /// <summary><see cref="ReloadAsync"/> calls.</summary>
    public int Reloads => Volatile.Read(ref _reloads);

    /// <summary>Puts the model over a (new) coordinator's own log; what the previous one reloaded is forgotten with it.</summary>
    public SharedLogModel Attach(IDecisionLog local)
    {
        lock (_gate)
        {
            _local = local;
            _reloaded.Clear();
        }

        return this;
    }

    /// <summary>Records a commit decision as another coordinator did (no fence: it held the leadership then).</summary>
    public void Put(CommitDecision decision)
    {
        lock (_gate)
        {
            Assert.True(_records.TryAdd(decision.TxId, decision), $"the model already holds a record of {decision.TxId}");
        }
    }

    /// <summary>What the shared log holds for <paramref name="txId"/>: null when nothing (never recorded, or ended).</summary>
    public DecisionAnswer? Recorded(TxId txId)
    {
        lock (_gate)
        {
            return _records.TryGetValue(txId, out var record) ? AnswerOf(record) : null;
        }
    }

    /// <summary>Whether an END removed <paramref name="txId"/>'s commit record.</summary>
    public bool Ended(TxId txId)
    {
        lock (_gate)
        {
            return _ended.Contains(txId);
        }
    }

    public async ValueTask WriteCommitAsync(CommitDecision decision, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        IDecisionLog local;
        lock (_gate)
        {
            var fenced = decision.Epoch != LeaderEpoch;
            var present = _records.ContainsKey(decision.TxId);
            switch (Fault)
            {
                case WriteFault.LostWrite:
                    throw new CohortException(ErrorCodes.Unavailable, $"simulated: the write of {decision.TxId}'s decision timed out", isTransient: true);
                case WriteFault.LostAnswer:
                    if (!fenced && !present)
                    {
                        _records[decision.TxId] = decision;
                    }

                    throw new CohortException(ErrorCodes.Unavailable, $"simulated: the answer to the write of {decision.TxId}'s decision was lost", isTransient: true);
            }

            if (fenced)
            {
                throw new CohortException(ErrorCodes.NoLeader, $"simulated: epoch {decision.Epoch} no longer leads (epoch {LeaderEpoch} does); no decision was written.", isTransient: true);
            }

            if (present)
            {
                // As etcd: the key exists (an abort recorded meanwhile, or an earlier attempt): settled from the log.
                throw new CohortException(ErrorCodes.Unavailable, $"simulated: a decision of {decision.TxId} is already recorded", isTransient: true);
            }

            _records[decision.TxId] = decision;
            local = _local ?? throw new InvalidOperationException("The model is not attached to a log.");
        }

        // The node's own view of its unfinished decisions (etcd adds a written decision to it).
        await local.WriteCommitAsync(decision, cancellationToken);
    }

    public void WriteEnd(TxId txId)
    {
        IDecisionLog? local;
        lock (_gate)
        {
            local = _local;
            _reloaded.Remove(txId);
            if (_records.TryGetValue(txId, out var record) && record is not null)
            {
                _records.Remove(txId);
                _ended.Add(txId);
            }
        }

        local?.WriteEnd(txId);
    }

    public IReadOnlyList<CommitDecision> GetUnfinished()
    {
        lock (_gate)
        {
            var own = _local?.GetUnfinished() ?? [];
            return [.. own.Concat(_reloaded.Values).DistinctBy(d => d.TxId)];
        }
    }

    public ValueTask<DecisionAnswer> ReadAsync(TxId txId, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        return ValueTask.FromResult(Recorded(txId) ?? DecisionAnswer.Pending);
    }

    public ValueTask<DecisionAnswer> SettleAsync(TxId txId, long epoch, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _settles);
        lock (_gate)
        {
            if (_records.TryGetValue(txId, out var record))
            {
                return ValueTask.FromResult(AnswerOf(record));
            }

            if (epoch != LeaderEpoch)
            {
                return ValueTask.FromException<DecisionAnswer>(
                    new CohortException(ErrorCodes.NoLeader, $"simulated: epoch {epoch} no longer leads (epoch {LeaderEpoch} does); {txId} was not settled.", isTransient: true));
            }

            _records[txId] = null;
            return ValueTask.FromResult(DecisionAnswer.Aborted);
        }
    }

    public ValueTask<IReadOnlyList<CommitDecision>> ReloadAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reloads);
        lock (_gate)
        {
            foreach (var (txId, record) in _records)
            {
                if (record is not null)
                {
                    _reloaded[txId] = record;
                }
            }
        }

        return ValueTask.FromResult(GetUnfinished());
    }

    // The cluster owns the file log it is attached to.
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static DecisionAnswer AnswerOf(CommitDecision? record) =>
        record is null ? DecisionAnswer.Aborted : DecisionAnswer.Committed(record.CommitTimestamp);
}
