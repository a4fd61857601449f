namespace Cohort.Core;

/// <summary>
/// The stable error codes of <see cref="CohortException.Code"/>. They appear in problem responses and
/// logs and never change meaning; clients may branch on them.
/// </summary>
public static class ErrorCodes
{
    /// <summary>The request or a JSON document is malformed.</summary>
    public const string BadJson = "bad_json";

    /// <summary>An operation or its arguments are not valid for the resource.</summary>
    public const string BadOperation = "bad_operation";

    /// <summary>The operation name is not one the engine knows.</summary>
    public const string UnknownOperation = "unknown_operation";

    /// <summary>The transaction is not known to the receiver.</summary>
    public const string UnknownTransaction = "unknown_transaction";

    /// <summary>The transaction was aborted by an older transaction that needed its locks (wound-wait).</summary>
    public const string Wounded = "wounded";

    /// <summary>A lock was not granted before the transaction's deadline.</summary>
    public const string LockTimeout = "lock_timeout";

    /// <summary>The transaction's deadline passed.</summary>
    public const string Expired = "expired";

    /// <summary>The transaction was aborted and cannot be used any more.</summary>
    public const string Aborted = "aborted";

    /// <summary>The transaction is prepared or finished and takes no more operations.</summary>
    public const string NotActive = "not_active";

    /// <summary>An <c>as_of</c> timestamp lies outside the retention window.</summary>
    public const string SnapshotTooOld = "snapshot_too_old";

    /// <summary>Stored data failed a checksum or could not be decoded.</summary>
    public const string Corruption = "corruption";

    /// <summary>A debit exceeds the account's available balance (balance minus reservations).</summary>
    public const string InsufficientFunds = "insufficient_funds";

    /// <summary>A SQL statement is not valid SQL; the message names line, column and token.</summary>
    public const string SqlSyntax = "sql_syntax";

    /// <summary>The component is shut down.</summary>
    public const string Disposed = "disposed";

    /// <summary>A write would break a constraint: a duplicate primary or unique key, NULL in a NOT NULL column (SQL resources).</summary>
    public const string ConstraintViolation = "constraint_violation";

    /// <summary>The request lacks a valid bearer token (HTTP 401).</summary>
    public const string Unauthorized = "unauthorized";

    /// <summary>No such path, node or member (HTTP 404).</summary>
    public const string NotFound = "not_found";

    /// <summary>The path exists but not for this HTTP method (HTTP 405; the answer's <c>Allow</c> header lists the methods).</summary>
    public const string MethodNotAllowed = "method_not_allowed";

    /// <summary>The request body exceeds the node's request size limit, or a message its limit (HTTP 413).</summary>
    public const string TooLarge = "too_large";

    /// <summary>The HTTP request itself is malformed, outside its JSON body (HTTP 400).</summary>
    public const string BadRequest = "bad_request";
}
