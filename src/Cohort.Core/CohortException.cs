namespace Cohort.Core;

/// <summary>
/// The one exception type Cohort throws for expected failures. <see cref="Code"/> is stable (see
/// <see cref="ErrorCodes"/>); <see cref="IsTransient"/> says whether retrying the whole transaction may succeed.
/// </summary>
public class CohortException : Exception
{
    /// <summary>Creates an exception with a stable code.</summary>
    public CohortException(string code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        Code = code;
        IsTransient = code is ErrorCodes.Wounded or ErrorCodes.LockTimeout or ErrorCodes.Expired;
    }

    /// <summary>Creates an exception with a stable code and an explicit transience.</summary>
    public CohortException(string code, string message, bool isTransient, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        Code = code;
        IsTransient = isTransient;
    }

    /// <summary>The stable machine-readable error code.</summary>
    public string Code { get; }

    /// <summary>Whether a retry of the transaction may succeed (a conflict or timeout, not bad input).</summary>
    public bool IsTransient { get; }
}
