using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Coordination;

/// <summary>What the coordinator knows of a transaction (<c>GET /v1/tx/{id}</c>).</summary>
/// <param name="TxId">The transaction.</param>
/// <param name="State">Where it is.</param>
/// <param name="Label">The label given at begin, if any (none for transactions recovered from the log).</param>
/// <param name="Deadline">Its deadline (the recovery time for recovered ones).</param>
/// <param name="Participants">Its participants.</param>
/// <param name="Decision">The durable commit decision, for two-phase commits.</param>
/// <param name="Reason">Why it aborted or is in doubt.</param>
/// <param name="CommitTimestamp">Once committed (or decided): its commit timestamp, however it committed.</param>
/// <param name="Timeline">The states it entered, oldest first, each with the coordinator's time (null: not known, as for one settled from a shared log).</param>
public sealed record TxStatus(
    TxId TxId,
    TransactionState State,
    string? Label,
    DateTimeOffset Deadline,
    IReadOnlyList<ParticipantStatus> Participants,
    CommitDecision? Decision,
    string? Reason,
    HlcTimestamp? CommitTimestamp = null,
    IReadOnlyList<TransactionStateChange>? Timeline = null);
