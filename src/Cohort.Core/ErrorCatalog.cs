using System.Collections.Frozen;

namespace Cohort.Core;

/// <summary>
/// The one place that classifies error codes: the HTTP status of each, whether it is transient, whether it aborts the
/// transaction and whether it proves the request never ran. The server, the coordinator and the client all decide from
/// here; a code not listed (from a newer node) is treated as a server failure that may have run.
/// </summary>
public static class ErrorCatalog
{
    private static readonly FrozenDictionary<string, ErrorInfo> Entries = new ErrorInfo[]
    {
        // Bad input, refused before anything ran.
        new(ErrorCodes.BadJson, 400, IsTransient: false, AbortsTransaction: false, NeverRan: true),
        new(ErrorCodes.BadOperation, 400, IsTransient: false, AbortsTransaction: false, NeverRan: true),
        new(ErrorCodes.UnknownOperation, 400, IsTransient: false, AbortsTransaction: false, NeverRan: true),
        new(ErrorCodes.SqlSyntax, 400, IsTransient: false, AbortsTransaction: false, NeverRan: true),
        new(ErrorCodes.BadRequest, 400, IsTransient: false, AbortsTransaction: false, NeverRan: true),
        new(ErrorCodes.Unauthorized, 401, IsTransient: false, AbortsTransaction: false, NeverRan: true),
        new(ErrorCodes.NotFound, 404, IsTransient: false, AbortsTransaction: false, NeverRan: true),
        new(ErrorCodes.UnknownResource, 404, IsTransient: false, AbortsTransaction: false, NeverRan: true),
        new(ErrorCodes.MethodNotAllowed, 405, IsTransient: false, AbortsTransaction: false, NeverRan: true),
        new(ErrorCodes.TooLarge, 413, IsTransient: false, AbortsTransaction: false, NeverRan: true),

        // An operation that failed cleanly (statements are atomic): the transaction stays usable.
        new(ErrorCodes.InsufficientFunds, 409, IsTransient: false, AbortsTransaction: false, NeverRan: true),
        new(ErrorCodes.ConstraintViolation, 409, IsTransient: false, AbortsTransaction: false, NeverRan: true),
        new(ErrorCodes.SnapshotTooOld, 410, IsTransient: false, AbortsTransaction: false, NeverRan: true),
        new(ErrorCodes.ResourcesHomed, 409, IsTransient: false, AbortsTransaction: false, NeverRan: true),

        // A leader's configuration write that found another configuration than it expected: nothing was written.
        new(ErrorCodes.ConfigurationMoved, 409, IsTransient: true, AbortsTransaction: false, NeverRan: true),

        // The transaction is over: a conflict or a timeout (running it again may succeed), or it is gone.
        new(ErrorCodes.Wounded, 409, IsTransient: true, AbortsTransaction: true, NeverRan: true),
        new(ErrorCodes.LockTimeout, 409, IsTransient: true, AbortsTransaction: true, NeverRan: true),
        new(ErrorCodes.Expired, 410, IsTransient: true, AbortsTransaction: true, NeverRan: true),
        new(ErrorCodes.Aborted, 409, IsTransient: false, AbortsTransaction: true, NeverRan: true),
        new(ErrorCodes.NotActive, 409, IsTransient: false, AbortsTransaction: true, NeverRan: true),
        new(ErrorCodes.UnknownTransaction, 404, IsTransient: false, AbortsTransaction: true, NeverRan: true),
        new(ErrorCodes.StaleEpoch, 409, IsTransient: false, AbortsTransaction: true, NeverRan: true),
        new(ErrorCodes.OutOfOrder, 409, IsTransient: false, AbortsTransaction: true, NeverRan: true),

        // No master: refused before anything ran, so any request may be sent again as it is.
        new(ErrorCodes.NoLeader, 503, IsTransient: true, AbortsTransaction: false, NeverRan: true),

        // Outages and failures: the request may or may not have run.
        new(ErrorCodes.Unavailable, 503, IsTransient: true, AbortsTransaction: false, NeverRan: false),
        new(ErrorCodes.Disposed, 503, IsTransient: true, AbortsTransaction: false, NeverRan: false),
        new(ErrorCodes.Corruption, 500, IsTransient: false, AbortsTransaction: true, NeverRan: false),
        new(ErrorCodes.PgMisconfigured, 500, IsTransient: false, AbortsTransaction: false, NeverRan: false),
        new(ErrorCodes.Internal, 500, IsTransient: false, AbortsTransaction: false, NeverRan: false),
        new(ErrorCodes.BadAnswer, 502, IsTransient: false, AbortsTransaction: false, NeverRan: false),

        // A replica's refusal of a primary's shipment (node to node): nothing was written.
        new(ErrorCodes.ReplicaStale, 409, IsTransient: false, AbortsTransaction: false, NeverRan: true),
        new(ErrorCodes.ReplicaGap, 409, IsTransient: false, AbortsTransaction: false, NeverRan: true),
    }.ToFrozenDictionary(e => e.Code, StringComparer.Ordinal);

    /// <summary>Every code the catalog knows.</summary>
    public static IEnumerable<ErrorInfo> All => Entries.Values;

    /// <summary>What <paramref name="code"/> means; an unknown code is a server failure (500) that may have run.</summary>
    /// <param name="code">A stable error code.</param>
    /// <returns>Its entry.</returns>
    public static ErrorInfo Of(string code) =>
        Entries.TryGetValue(code, out var info) ? info : new ErrorInfo(code, 500, IsTransient: false, AbortsTransaction: false, NeverRan: false);

    /// <summary>Whether the catalog lists <paramref name="code"/>.</summary>
    /// <param name="code">A code.</param>
    /// <returns>True when it is a known code.</returns>
    public static bool IsKnown(string code) => Entries.ContainsKey(code);

    /// <summary>
    /// The code for an error answer of <paramref name="status"/> that carries none (routing's 404 and 405, a proxy's 502).
    /// </summary>
    /// <param name="status">An HTTP status of 400 or more.</param>
    /// <returns>The closest code.</returns>
    public static string CodeOfStatus(int status) => status switch
    {
        401 => ErrorCodes.Unauthorized,
        404 => ErrorCodes.NotFound,
        405 => ErrorCodes.MethodNotAllowed,
        413 => ErrorCodes.TooLarge,
        < 500 => ErrorCodes.BadRequest,
        502 or 503 or 504 => ErrorCodes.Unavailable,
        _ => ErrorCodes.Internal,
    };
}
