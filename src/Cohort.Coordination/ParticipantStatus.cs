using Cohort.Core;

namespace Cohort.Coordination;

/// <summary>One participant as <c>GET /v1/tx/{id}</c> shows it.</summary>
/// <param name="Resource">The resource.</param>
/// <param name="Node">Its home node.</param>
/// <param name="MayWrite">Whether it said the transaction may have written there (a batch: whether it was sent an operation not declared read-only).</param>
/// <param name="Vote">Its vote, once it voted.</param>
/// <param name="Acknowledged">Whether it acknowledged phase two.</param>
public sealed record ParticipantStatus(string Resource, string Node, bool MayWrite, VoteKind? Vote, bool Acknowledged);
