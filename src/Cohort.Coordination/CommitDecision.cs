using System.Collections.Immutable;
using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Coordination;

/// <summary>A durable commit decision: everything needed to drive phase two after a restart.</summary>
/// <param name="TxId">The transaction.</param>
/// <param name="Participants">The participants that voted Yes and must be told to commit.</param>
/// <param name="CommitTimestamp">The commit timestamp, at or after every Yes vote's prepare timestamp.</param>
/// <param name="Epoch">The coordinator's epoch when it decided.</param>
public sealed record CommitDecision(TxId TxId, ImmutableArray<Participant> Participants, HlcTimestamp CommitTimestamp, long Epoch);
