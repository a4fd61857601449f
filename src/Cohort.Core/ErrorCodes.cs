namespace Cohort.Core;

/// <summary>
/// Every stable error code of <see cref="CohortException.Code"/>, defined here once. Codes appear in problem answers
/// (<c>application/problem+json</c>) and logs and never change meaning; clients may branch on them.
/// <see cref="ErrorCatalog"/> says what each one means for a request and its transaction.
/// </summary>
/// <remarks>
/// The codes live in Cohort.Core, not in the protocol assembly, because the storage kernel and the engines raise them
/// (a wound, a lock timeout, corruption) and Core is the one assembly every layer already shares.
/// </remarks>
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

    /// <summary>A node, the coordinator or a database could not be reached, or did not answer in time; the request may or may not have run.</summary>
    public const string Unavailable = "unavailable";

    /// <summary>The message carries an epoch older than the newest the receiver has seen (a deposed coordinator).</summary>
    public const string StaleEpoch = "stale_epoch";

    /// <summary>The resource is not placed on any node, or not hosted by the node the message reached.</summary>
    public const string UnknownResource = "unknown_resource";

    /// <summary>
    /// No confirmed master right now (an election is under way, or this node was master and has to confirm it still
    /// is, or the request needs the master and this node is not it): the request was <em>not</em> run.
    /// </summary>
    public const string NoLeader = "no_leader";

    /// <summary>An operation arrived out of sequence (a duplicate, or its predecessors were lost); it was not run.</summary>
    public const string OutOfOrder = "out_of_order";

    /// <summary>A node cannot be removed while resources live on it (move them, or remove it with <c>--force</c>).</summary>
    public const string ResourcesHomed = "resources_homed";

    /// <summary>
    /// A replicated resource's configuration is not at the version a leader's write expected: a change computed from an
    /// older configuration (transient: compute it again from the current one), or a creation of a configuration that
    /// exists already (not transient). Nothing was written.
    /// </summary>
    public const string ConfigurationMoved = "configuration_moved";

    /// <summary>A PostgreSQL server is not set up for two-phase commit (<c>max_prepared_transactions = 0</c>) or refuses the audit table.</summary>
    public const string PgMisconfigured = "pg_misconfigured";

    /// <summary>A node failed to handle the request in a way it did not expect (a bug; its log says more).</summary>
    public const string Internal = "internal";

    /// <summary>A node's answer is not what the protocol says (raised by clients, never sent).</summary>
    public const string BadAnswer = "bad_answer";

    /// <summary>
    /// A replica refused a shipment of a replicated resource's log: the sender's configuration version is older than
    /// one the replica has seen (another primary took over). Node to node only.
    /// </summary>
    public const string ReplicaStale = "replica_stale";

    /// <summary>
    /// A replica refused a shipment that does not continue its copy of the log (it restarted, or missed entries): it
    /// needs a reset. Node to node only.
    /// </summary>
    public const string ReplicaGap = "replica_gap";
}
