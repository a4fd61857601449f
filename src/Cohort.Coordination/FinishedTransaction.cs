using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Coordination;

/// <summary>
/// What the coordinator keeps of a committed or aborted transaction, for status queries, decision queries and repeated
/// commit or abort calls: values and one small array, where the live transaction had a dozen objects (its gate, lock,
/// completion, participant entries, the decision record…) that would otherwise stay reachable for as long as it is
/// remembered.
/// </summary>
internal readonly record struct FinishedTransaction(
    TransactionState State,
    string? Label,
    DateTimeOffset Deadline,
    FinishedTransaction.Member[] Participants,
    FinishedTransaction.DecisionSummary? Decided,
    string? Reason,
    TxOutcome Outcome,
    TransactionTimeline Timeline = default)
{
    public static FinishedTransaction Of(CoordinatorTransaction tx)
    {
        lock (tx.Sync)
        {
            var participants = new Member[tx.Participants.Count];
            for (var i = 0; i < participants.Length; i++)
            {
                var p = tx.Participants[i];
                participants[i] = new Member(p.Resource, p.Node, p.MayWrite, p.Vote, p.Acknowledged);
            }

            var decided = tx.Decision is { } d ? new DecisionSummary(d.CommitTimestamp, d.Epoch) : (DecisionSummary?)null;
            return new(tx.State, tx.Label, tx.Deadline, participants, decided, tx.Reason, tx.Outcome ?? OutcomeOf(tx.State, tx.Decision, tx.Reason), tx.Timeline);
        }
    }

    /// <summary>A transaction this coordinator never ran, settled here in a shared decision log (its participants are not known).</summary>
    public static FinishedTransaction Settled(TransactionState state, string reason) =>
        new(state, null, default, [], null, reason, OutcomeOf(state, null, reason));

    /// <summary>A copy in which <paramref name="resource"/> has acknowledged its outcome.</summary>
    public FinishedTransaction WithAcknowledged(string resource)
    {
        var participants = (Member[])Participants.Clone();
        for (var i = 0; i < participants.Length; i++)
        {
            if (participants[i].Resource == resource)
            {
                participants[i] = participants[i] with { Acknowledged = true };
            }
        }

        return this with { Participants = participants };
    }

    /// <summary>The decision, rebuilt: it named the participants that voted Yes.</summary>
    public CommitDecision? Decision(TxId id) => Decided is { } d
        ? new CommitDecision(id, [.. Participants.Where(p => p.Vote == VoteKind.Yes).Select(p => new Participant(p.Resource, p.Node))], d.CommitTimestamp, d.Epoch)
        : null;

    public TxStatus ToStatus(TxId id) => new(
        id, State, Label, Deadline, [.. Participants.Select(p => new ParticipantStatus(p.Resource, p.Node, p.MayWrite, p.Vote, p.Acknowledged))], Decision(id), Reason,
        Outcome.IsCommitted ? Outcome.CommitTimestamp : null, Timeline.Count > 0 ? Timeline.ToArray() : null);

    private static TxOutcome OutcomeOf(TransactionState state, CommitDecision? decision, string? reason) => state == TransactionState.Committed
        ? TxOutcome.Committed(decision?.CommitTimestamp ?? default)
        : TxOutcome.Aborted(reason ?? "aborted");

    /// <summary>What the status shows of a commit decision (the decision's own record is not kept).</summary>
    public readonly record struct DecisionSummary(HlcTimestamp CommitTimestamp, long Epoch);

    /// <summary>One participant as it ended.</summary>
    public readonly record struct Member(string Resource, string Node, bool MayWrite, VoteKind? Vote, bool Acknowledged);
}
