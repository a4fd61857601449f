namespace Cohort.Core;

/// <summary>
/// The one exception type Cohort throws for expected failures. <see cref="Code"/> is stable (see
/// <see cref="ErrorCodes"/>, classified by <see cref="ErrorCatalog"/>); <see cref="IsTransient"/> says whether retrying
/// the whole transaction may succeed and <see cref="NeverRan"/> whether the request certainly had no effect.
/// </summary>
public class CohortException : Exception
{
    /// <summary>Creates an exception with a stable code; transience and never-ran come from <see cref="ErrorCatalog"/>.</summary>
    public CohortException(string code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        Code = code;
        var info = ErrorCatalog.Of(code);
        IsTransient = info.IsTransient;
        NeverRan = info.NeverRan;
    }

    /// <summary>Creates an exception with a stable code and an explicit transience; never-ran comes from <see cref="ErrorCatalog"/>.</summary>
    public CohortException(string code, string message, bool isTransient, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        Code = code;
        IsTransient = isTransient;
        NeverRan = ErrorCatalog.Of(code).NeverRan;
    }

    /// <summary>The stable machine-readable error code.</summary>
    public string Code { get; }

    /// <summary>Whether a retry of the transaction may succeed (a conflict or timeout, not bad input).</summary>
    public bool IsTransient { get; }

    /// <summary>
    /// Whether the request certainly had no effect, so that sending it again is safe. The catalog's answer for the code,
    /// unless the thrower knows better (an <c>unavailable</c> raised because a connection was refused before anything
    /// was sent, say).
    /// </summary>
    public bool NeverRan { get; init; }

    /// <summary>What the code means (<see cref="ErrorCatalog.Of"/>).</summary>
    public ErrorInfo Info => ErrorCatalog.Of(Code);
}
