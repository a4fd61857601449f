using Cohort.Core;

namespace Cohort.Client;

/// <summary>
/// A request to a Cohort cluster failed. <see cref="CohortException.Code"/> is the node's stable error code (or
/// <c>unavailable</c> when no node could be reached), <see cref="StatusCode"/> the HTTP status when a node answered, and
/// <see cref="CohortException.IsTransient"/> says whether running the whole transaction again may succeed.
/// </summary>
public class CohortClientException : CohortException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="code">The stable error code.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="statusCode">The HTTP status the node answered with, or null when none answered.</param>
    /// <param name="isTransient">Whether a retry of the transaction may succeed.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public CohortClientException(string code, string message, int? statusCode, bool isTransient, Exception? innerException = null)
        : base(code, message, isTransient, innerException)
    {
        StatusCode = statusCode;
    }

    /// <summary>The HTTP status of the node's answer, or null when no node answered.</summary>
    public int? StatusCode { get; }

}
