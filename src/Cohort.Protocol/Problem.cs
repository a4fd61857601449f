using Cohort.Core;

namespace Cohort.Protocol;

/// <summary>
/// A problem answer (<c>application/problem+json</c>, RFC 9457): a refused or failed request, with its stable code and
/// what the code means for a retry. Nodes send it; nodes and clients read it.
/// </summary>
/// <param name="Code">The stable error code (<see cref="ErrorCodes"/>).</param>
/// <param name="Detail">What went wrong, in words (for people; programs use the other fields).</param>
/// <param name="Status">The HTTP status.</param>
/// <param name="IsTransient">Whether running the whole transaction again may succeed (wire field <c>transient</c>).</param>
/// <param name="NeverRan">Whether the request certainly had no effect, so sending it again is safe (wire field <c>never_ran</c>).</param>
public sealed record Problem(string Code, string Detail, int Status, bool IsTransient, bool NeverRan)
{
    /// <summary>The media type of problem answers.</summary>
    public const string MediaType = "application/problem+json";

    /// <summary>A problem with what <see cref="ErrorCatalog"/> says of <paramref name="code"/>.</summary>
    /// <param name="code">The code.</param>
    /// <param name="detail">The detail.</param>
    /// <param name="status">The status; the catalog's when null.</param>
    /// <returns>The problem.</returns>
    public static Problem For(string code, string detail, int? status = null)
    {
        var info = ErrorCatalog.Of(code);
        return new Problem(code, detail, status ?? info.Status, info.IsTransient, info.NeverRan);
    }

    /// <summary>
    /// The problem a failed request answers with: a <see cref="CohortException"/> keeps its code, transience and
    /// never-ran; a timeout or cancellation is <c>unavailable</c>; anything else is <c>internal</c> (status 500, a bug).
    /// </summary>
    /// <param name="exception">What the handler threw.</param>
    /// <returns>The problem.</returns>
    public static Problem Of(Exception exception) => exception switch
    {
        CohortException e => new Problem(e.Code, e.Message, ErrorCatalog.Of(e.Code).Status, e.IsTransient, e.NeverRan),
        TimeoutException e => For(ErrorCodes.Unavailable, e.Message),
        OperationCanceledException => For(ErrorCodes.Unavailable, "The request was cancelled."),
        _ => For(ErrorCodes.Internal, "The node failed to handle the request: " + exception.Message),
    };

    /// <summary>
    /// Reads a problem answer of <paramref name="status"/>. Fields a node did not send (an older node, a proxy's error
    /// page) are filled from the catalog: the code from the status, transience and never-ran from the code.
    /// </summary>
    /// <param name="status">The HTTP status of the answer.</param>
    /// <param name="body">The answer's JSON, or <see cref="Value.Null"/> when it had none that parsed.</param>
    /// <param name="fallback">The detail when the body gives none.</param>
    /// <returns>The problem.</returns>
    public static Problem Read(int status, Value body, string fallback)
    {
        var code = WireFields.OptStr(body, "code") ?? ErrorCatalog.CodeOfStatus(status);
        var info = ErrorCatalog.Of(code);
        return new Problem(
            code,
            WireFields.OptStr(body, "detail") ?? fallback,
            status,
            WireFields.OptBoolOrNull(body, "transient") ?? (info.IsTransient || status >= 500),
            WireFields.OptBoolOrNull(body, "never_ran") ?? info.NeverRan);
    }

    /// <summary>The wire form.</summary>
    /// <returns>The JSON body.</returns>
    public Value ToValue() => Value.Map(
        ("type", "https://cohort.dev/errors/" + Code),
        ("title", Code.Replace('_', ' ')),
        ("status", Status),
        ("detail", Detail),
        ("code", Code),
        ("transient", IsTransient),
        ("never_ran", NeverRan));

    /// <summary>The exception a node raises for another node's problem answer.</summary>
    /// <returns>The exception.</returns>
    public CohortException ToException() => new(Code, Detail, IsTransient) { NeverRan = NeverRan };
}
