using Cohort.Core;

namespace Cohort.Client;

/// <summary>
/// The outcome of a commit is not known: the transaction may have committed or aborted, and the cluster settles it on
/// its own (after a restart or once a node is back). Do not run it again blindly; look it up later with
/// <see cref="CohortClient.GetTransactionAsync"/> using <see cref="TxId"/> (or <c>cohort tx show</c>).
/// </summary>
public sealed class CohortInDoubtException : CohortClientException
{
    /// <summary>The code of an in-doubt outcome.</summary>
    public const string InDoubtCode = "in_doubt";

    /// <summary>Creates the exception.</summary>
    /// <param name="txId">The transaction (<see cref="TxId.Empty"/> when a one-shot batch's answer was lost before it was named).</param>
    /// <param name="reason">What made the outcome unknown.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public CohortInDoubtException(TxId txId, string reason, Exception? innerException = null)
        : base(InDoubtCode, $"The outcome of transaction {txId} is in doubt: {reason}", null, isTransient: false, innerException)
    {
        TxId = txId;
        Reason = reason;
    }

    /// <summary>The transaction whose outcome is unknown.</summary>
    public TxId TxId { get; }

    /// <summary>What made the outcome unknown.</summary>
    public string Reason { get; }
}
