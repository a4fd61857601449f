using Cohort.Core;
using Cohort.Protocol;
using Cohort.Core.Execution;

namespace Cohort.Coordination;

/// <summary>The coordinator's state of one transaction.</summary>
internal sealed class CoordinatorTransaction
{
    /// <summary>A new transaction, <see cref="TransactionState.Active"/>.</summary>
    public CoordinatorTransaction(TxId id, string? label, DateTimeOffset deadline, TimeProvider? time = null)
        : this(id, label, deadline, TransactionState.Active, time)
    {
    }

    /// <summary>
    /// A transaction that starts in <paramref name="initial"/>: <see cref="TransactionState.Active"/> when it begins
    /// here, <see cref="TransactionState.Committing"/> when recovery found its decision in the log. Its timeline reads
    /// <paramref name="time"/>, the coordinator's clock (the simulation's virtual one under simulation).
    /// </summary>
    public CoordinatorTransaction(TxId id, string? label, DateTimeOffset deadline, TransactionState initial, TimeProvider? time = null)
    {
        if (initial is not (TransactionState.Active or TransactionState.Committing))
        {
            throw new ArgumentOutOfRangeException(nameof(initial), initial, "A coordinator transaction starts active, or committing when recovered.");
        }

        Id = id;
        Label = label;
        Deadline = deadline;
        State = initial;
        _time = time ?? TimeProvider.System;
        _timeline.Add(initial, _time.GetUtcNow());
    }

    private readonly TimeProvider _time;

    // Mutated in place (a field, not a property: the struct is never copied out to be changed), under Sync.
    private TransactionTimeline _timeline;

    /// <summary>When the transaction entered each of its states so far (read under <see cref="Sync"/>).</summary>
    public TransactionTimeline Timeline => _timeline;

    public TxId Id { get; }

    public string? Label { get; }

    public DateTimeOffset Deadline { get; }

    /// <summary>Serializes operations and the start of commit, so no operation is in flight once commit begins.</summary>
    public AsyncGate Gate { get; } = new();

    public Lock Sync { get; } = new();

    /// <summary>Where the transaction is; changed only by <see cref="TransitionTo"/>, under <see cref="Sync"/>.</summary>
    public TransactionState State { get; private set; }

    public List<ParticipantEntry> Participants { get; } = [];

    public CommitDecision? Decision { get; set; }

    public string? Reason { get; set; }

    public bool AbortRequested { get; set; }

    /// <summary>
    /// When commit started (a <see cref="TimeProvider"/> timestamp), 0 before: a commit's latency is recorded with its
    /// outcome, so a stats sample that counts the commit also has its latency.
    /// </summary>
    public long CommitStarted { get; set; }

    /// <summary>The newest outcome (an in-doubt one may later be resolved).</summary>
    public TxOutcome? Outcome { get; set; }

    /// <summary>Completes with the outcome once commit or abort has one; later callers get the same answer.</summary>
    public Promise<TxOutcome> Completion { get; } = new();

    /// <summary>
    /// Moves the transaction to <paramref name="next"/>. The caller holds <see cref="Sync"/>; the move must be one
    /// <see cref="TransactionStateTransitions"/> allows.
    /// </summary>
    /// <exception cref="CohortException"><c>internal</c> when the lock is not held or the transition is not allowed: a bug.</exception>
    public void TransitionTo(TransactionState next)
    {
        if (!Sync.IsHeldByCurrentThread)
        {
            throw new CohortException(ErrorCodes.Internal, $"Transaction {Id}: state changed to {next} without holding its lock.");
        }

        if (!TransactionStateTransitions.IsAllowed(State, next))
        {
            throw new CohortException(ErrorCodes.Internal, $"Transaction {Id}: illegal state transition {State} -> {next}.");
        }

        State = next;
        _timeline.Add(next, _time.GetUtcNow());
    }

    public ParticipantEntry? Find(string resource)
    {
        foreach (var p in Participants)
        {
            if (p.Resource == resource)
            {
                return p;
            }
        }

        return null;
    }

    public TxStatus ToStatus()
    {
        lock (Sync)
        {
            return new TxStatus(
                Id,
                State,
                Label,
                Deadline,
                [.. Participants.Select(p => new ParticipantStatus(p.Resource, p.Node, p.MayWrite, p.Vote, p.Acknowledged))],
                Decision,
                Reason,
                Outcome is { IsCommitted: true } committed ? committed.CommitTimestamp : Decision?.CommitTimestamp,
                _timeline.ToArray());
        }
    }
}
