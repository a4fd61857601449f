using Cohort.Cluster;
using Cohort.Coordination;
using Cohort.Core;

namespace Cohort.Server.Http;

/// <summary>Maps stable error codes to HTTP statuses, and builds and reads <c>application/problem+json</c> bodies (RFC 7807).</summary>
public static class ProblemDetails
{
    /// <summary>The media type of problem responses.</summary>
    public const string MediaType = "application/problem+json";

    /// <summary>The HTTP status for an error code.</summary>
    public static int StatusOf(string code) => code switch
    {
        ErrorCodes.BadJson or ErrorCodes.BadOperation or ErrorCodes.UnknownOperation or ErrorCodes.SqlSyntax or ErrorCodes.BadRequest => 400,
        ErrorCodes.Unauthorized => 401,
        ErrorCodes.UnknownTransaction or CoordinationErrorCodes.UnknownResource or ErrorCodes.NotFound => 404,
        ErrorCodes.MethodNotAllowed => 405,
        ErrorCodes.Wounded or ErrorCodes.LockTimeout or ErrorCodes.ConstraintViolation or ErrorCodes.InsufficientFunds
            or ErrorCodes.NotActive or ErrorCodes.Aborted or CoordinationErrorCodes.StaleEpoch or CoordinationErrorCodes.OutOfOrder or ClusterAgent.ResourcesHomedCode => 409,
        ErrorCodes.Expired or ErrorCodes.SnapshotTooOld => 410,
        ErrorCodes.TooLarge => 413,
        CoordinationErrorCodes.Unavailable or ErrorCodes.Disposed or CoordinationErrorCodes.NoLeader => 503,
        _ => 500,
    };

    /// <summary>The code of a problem answer of <paramref name="status"/> that no handler gave a code (routing's 404 and 405, say).</summary>
    public static string CodeOfStatus(int status) => status switch
    {
        401 => ErrorCodes.Unauthorized,
        404 => ErrorCodes.NotFound,
        405 => ErrorCodes.MethodNotAllowed,
        413 => ErrorCodes.TooLarge,
        < 500 => ErrorCodes.BadRequest,
        503 => CoordinationErrorCodes.Unavailable,
        _ => "internal",
    };

    /// <summary>The problem body for a code and message.</summary>
    public static Value Body(string code, string detail, int status) => Value.Map(
        ("type", "https://cohort.dev/errors/" + code),
        ("title", code.Replace('_', ' ')),
        ("status", status),
        ("detail", detail),
        ("code", code));

    /// <summary>The code, detail and status a failed request answers with (CohortException codes kept; timeouts are <c>unavailable</c>).</summary>
    public static (string Code, string Detail, int Status) Of(Exception exception) => exception switch
    {
        CohortException e => (e.Code, e.Message, StatusOf(e.Code)),
        TimeoutException e => (CoordinationErrorCodes.Unavailable, e.Message, 503),
        OperationCanceledException => (CoordinationErrorCodes.Unavailable, "The request was cancelled.", 503),
        _ => ("internal", "The node failed to handle the request: " + exception.Message, 500),
    };

    /// <summary>
    /// The exception for a problem answer from another node: its code and detail when <paramref name="problem"/> is a
    /// problem body, else <c>unavailable</c> with <paramref name="fallback"/>. Transient for 5xx, wounds and lock timeouts.
    /// </summary>
    public static CohortException ToException(int status, Value problem, string fallback)
    {
        var code = problem.Kind == ValueKind.Map && problem.TryGetField("code", out var c) && c.Kind == ValueKind.String ? c.AsString() : CoordinationErrorCodes.Unavailable;
        var detail = problem.Kind == ValueKind.Map && problem.TryGetField("detail", out var d) && d.Kind == ValueKind.String ? d.AsString() : fallback;
        return new CohortException(code, detail, isTransient: status >= 500 || code is ErrorCodes.Wounded or ErrorCodes.LockTimeout);
    }
}
