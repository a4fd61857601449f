using Cohort.Core;

namespace Cohort.Protocol;

/// <summary>Aborts the transaction at a resource. Idempotent; unknown transactions are fine; never refused for its epoch.</summary>
/// <param name="TxId">The transaction.</param>
/// <param name="Epoch">The sender's epoch.</param>
/// <param name="Resource">The resource.</param>
public sealed record AbortRequest(TxId TxId, long Epoch, string Resource);
