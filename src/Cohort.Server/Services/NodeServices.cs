namespace Cohort.Server.Services;

/// <summary>The services a node builds once and hands to its endpoints, which parse a request, call one and encode the answer.</summary>
/// <param name="Registry">The node's local resources.</param>
/// <param name="Reader">Snapshot reads (<c>/v1/read</c>, <c>/internal/read</c>).</param>
/// <param name="Resources">Listing and creating resources across the cluster (<c>/v1/resources</c>).</param>
/// <param name="Transactions">Transaction lookups across nodes (<c>/v1/tx</c>, <c>/internal/tx</c>).</param>
/// <param name="Metrics">The Prometheus text of <c>/metrics</c>.</param>
/// <param name="Stats">The periodic samples of <c>/v1/stats/samples</c> (the dashboard's charts).</param>
internal sealed record NodeServices(
    ResourceRegistry Registry,
    SnapshotReader Reader,
    ResourceService Resources,
    TransactionDirectory Transactions,
    MetricsWriter Metrics,
    StatsSampler Stats);
