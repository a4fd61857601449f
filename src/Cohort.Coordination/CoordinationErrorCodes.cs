namespace Cohort.Coordination;

/// <summary>
/// Error codes the coordination layer adds to <see cref="Cohort.Core.ErrorCodes"/> (candidates to move there
/// once the server maps them to problem responses).
/// </summary>
public static class CoordinationErrorCodes
{
    /// <summary>A node or the coordinator could not be reached, or did not answer in time; the request may or may not have run.</summary>
    public const string Unavailable = "unavailable";

    /// <summary>The message carries an epoch older than the newest the receiver has seen (a deposed coordinator).</summary>
    public const string StaleEpoch = "stale_epoch";

    /// <summary>The resource is not placed on any node, or not hosted by the node the message reached.</summary>
    public const string UnknownResource = "unknown_resource";

    /// <summary>
    /// No confirmed master right now (an election is under way, or this node was master and has to confirm it still
    /// is): the request was <em>not</em> run, so any request may be retried as it is.
    /// </summary>
    public const string NoLeader = "no_leader";

    /// <summary>An operation arrived out of sequence (a duplicate, or its predecessors were lost); it was not run.</summary>
    public const string OutOfOrder = "out_of_order";
}
