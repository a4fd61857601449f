using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Coordination;

/// <summary>The coordinator's state of one transaction.</summary>
internal sealed class CoordinatorTransaction
{
    public CoordinatorTransaction(TxId id, string? label, DateTimeOffset deadline)
    {
        Id = id;
        Label = label;
        Deadline = deadline;
    }

    public TxId Id { get; }

    public string? Label { get; }

    public DateTimeOffset Deadline { get; }

    /// <summary>Serializes operations and the start of commit, so no operation is in flight once commit begins.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    public Lock Sync { get; } = new();

    // Guarded by Sync.
    public TransactionState State { get; set; } = TransactionState.Active;

    public List<ParticipantEntry> Participants { get; } = [];

    public CommitDecision? Decision { get; set; }

    public string? Reason { get; set; }

    public bool AbortRequested { get; set; }

    /// <summary>The newest outcome (an in-doubt one may later be resolved).</summary>
    public TxOutcome? Outcome { get; set; }

    /// <summary>Completes with the outcome once commit or abort has one; later callers get the same answer.</summary>
    public TaskCompletionSource<TxOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

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
                Outcome is { IsCommitted: true } committed ? committed.CommitTimestamp : Decision?.CommitTimestamp);
        }
    }
}
