using Cohort.Coordination;

namespace Cohort.Server.Services;

/// <summary>What <c>/metrics</c> reports of one node at one moment (the process's own figures are read as it is written).</summary>
/// <param name="Address">The node's address.</param>
/// <param name="IsMaster">Whether it is the master now.</param>
/// <param name="Epoch">The cluster epoch it has seen.</param>
/// <param name="Begun">Transactions its coordinator has begun.</param>
/// <param name="ActiveTransactions">Each local resource with its unfinished transactions.</param>
/// <param name="TransactionStates">How many transactions its coordinator holds in each state (wire names); a state not listed holds none.</param>
/// <param name="PhaseTwoPending">Decided commits whose phase two is still running.</param>
/// <param name="PhaseTwoWaits">Commits answered only after their phase two.</param>
/// <param name="PrepareLatency">Prepare times of the transactions it coordinated.</param>
/// <param name="DecisionLatency">Times to make commit decisions durable.</param>
/// <param name="PhaseTwoLatency">Times from a durable decision to every participant's acknowledgement.</param>
/// <param name="Replication">Per replicated resource this node is primary of, each replica's lag (entries shipped, not yet durable there) and whether it is in sync.</param>
internal sealed record NodeMetrics(
    string Address,
    bool IsMaster,
    long Epoch,
    long Begun,
    IReadOnlyList<(string Resource, int Active)> ActiveTransactions,
    IReadOnlyList<(string State, int Count)> TransactionStates,
    int PhaseTwoPending,
    long PhaseTwoWaits,
    HistogramSnapshot PrepareLatency,
    HistogramSnapshot DecisionLatency,
    HistogramSnapshot PhaseTwoLatency,
    IReadOnlyList<(string Resource, string Replica, long Lag, bool InSync)>? Replication = null)
{
    /// <summary>The node's version and, when the build knew it, its source commit.</summary>
    public (string Version, string? Commit) Build { get; init; } = MetricsWriter.BuildOf(typeof(NodeMetrics).Assembly);

    /// <summary>Members of the cluster this node knows of.</summary>
    public int Members { get; init; }

    /// <summary>Of those, the ones alive as this node sees them.</summary>
    public int MembersAlive { get; init; }

    /// <summary>Transactions its coordinator committed since the node started.</summary>
    public long Committed { get; init; }

    /// <summary>Transactions its coordinator aborted since the node started, by reason (an error code, or <c>other</c>).</summary>
    public IReadOnlyList<(string Reason, long Count)> Aborted { get; init; } = [];

    /// <summary>Transactions whose outcome became in doubt at its coordinator since the node started.</summary>
    public long InDoubt { get; init; }

    /// <summary>Requests the node answered, by method, route template and status class.</summary>
    public IReadOnlyList<(string Method, string Route, string Status, long Count)> HttpRequests { get; init; } = [];

    /// <summary>How long the node's requests took.</summary>
    public HistogramSnapshot HttpDuration { get; init; } = new LatencyHistogram().Snapshot();
}
