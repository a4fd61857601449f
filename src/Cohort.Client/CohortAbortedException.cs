using Cohort.Core;

namespace Cohort.Client;

/// <summary>
/// The transaction aborted: none of its writes are or will be visible. <see cref="CohortException.Code"/> says why in a
/// stable form (<c>insufficient_funds</c>, <c>constraint_violation</c>, <c>wounded</c>, <c>expired</c>, <c>aborted</c>, …)
/// and <see cref="Reason"/> in words; <see cref="CohortException.IsTransient"/> is true for conflicts and timeouts, which
/// a new attempt of the transaction may not meet.
/// </summary>
public sealed class CohortAbortedException : CohortClientException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="txId">The aborted transaction (<see cref="TxId.Empty"/> when the node never named it).</param>
    /// <param name="code">The stable abort code.</param>
    /// <param name="reason">Why the transaction aborted.</param>
    /// <param name="statusCode">The HTTP status of the answer that told it, if any.</param>
    public CohortAbortedException(TxId txId, string code, string reason, int? statusCode = null)
        : base(code, $"Transaction {txId} aborted ({code}): {reason}", statusCode, ErrorCatalog.Of(code).IsTransient)
    {
        TxId = txId;
        Reason = reason;
    }

    /// <summary>The aborted transaction.</summary>
    public TxId TxId { get; }

    /// <summary>Why it aborted, as the cluster put it.</summary>
    public string Reason { get; }
}
