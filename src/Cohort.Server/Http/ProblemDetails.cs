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
        ErrorCodes.BadJson or ErrorCodes.BadOperation or ErrorCodes.UnknownOperation or ErrorCodes.SqlSyntax => 400,
        "unauthorized" => 401,
        ErrorCodes.UnknownTransaction or CoordinationErrorCodes.UnknownResource or "not_found" => 404,
        ErrorCodes.Wounded or ErrorCodes.LockTimeout or ErrorCodes.ConstraintViolation or ErrorCodes.InsufficientFunds
            or ErrorCodes.NotActive or ErrorCodes.Aborted or CoordinationErrorCodes.StaleEpoch or CoordinationErrorCodes.OutOfOrder or ClusterAgent.ResourcesHomedCode => 409,
        ErrorCodes.Expired or ErrorCodes.SnapshotTooOld => 410,
        "too_large" => 413,
        CoordinationErrorCodes.Unavailable or ErrorCodes.Disposed or CoordinationErrorCodes.NoLeader => 503,
        _ => 500,
    };

    /// <summary>The problem body for a code and message.</summary>
    public static Value Body(string code, string detail, int status) => Value.Map(
        ("type", "https://cohort.dev/errors/" + code),
        ("title", code.Replace('_', ' ')),
        ("status", status),
        ("detail", detail),
        ("code", code));
}
