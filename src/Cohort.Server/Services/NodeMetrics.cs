using Cohort.Coordination;

namespace Cohort.Server.Services;

/// <summary>What <c>/metrics</c> reports of one node at one moment (the process's own figures are read as it is written).</summary>
/// <param name="Address">The node's address.</param>
/// <param name="IsMaster">Whether it is the master now.</param>
/// <param name="Epoch">The cluster epoch it has seen.</param>
/// <param name="Begun">Transactions its coordinator has begun.</param>
/// <param name="ActiveTransactions">Each local resource with its unfinished transactions.</param>
/// <param name="TransactionStates">How many transactions its coordinator holds in each state (wire names).</param>
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
    LatencyHistogram PrepareLatency,
    LatencyHistogram DecisionLatency,
    LatencyHistogram PhaseTwoLatency,
    IReadOnlyList<(string Resource, string Replica, long Lag, bool InSync)>? Replication = null);
