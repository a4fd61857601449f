using System.Collections.Immutable;
using Cohort.Core;

namespace Cohort.Protocol;

/// <summary>Phase two: the durable decision to commit. Idempotent; never refused for its epoch (a decision stands).</summary>
/// <param name="TxId">The transaction.</param>
/// <param name="Epoch">The sender's epoch (noted by the participant, never grounds for refusal).</param>
/// <param name="Resource">The resource to commit.</param>
/// <param name="CommitTimestamp">The commit timestamp.</param>
/// <param name="Participants">Every participant of the decision (lets a receiver tell others, or check).</param>
/// <param name="Term">The resource's configuration term as the sender knows it (<c>ResourceConfiguration.Term</c>), 0 when
/// it is not replicated: the primary of a replicated resource refuses another term (<c>configuration_moved</c>).</param>
public sealed record CommitRequest(TxId TxId, long Epoch, string Resource, HlcTimestamp CommitTimestamp, ImmutableArray<Participant> Participants, long Term = 0);
