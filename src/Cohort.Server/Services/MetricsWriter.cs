using System.Globalization;
using Cohort.Cluster;
using Cohort.Coordination;
using Cohort.Protocol;
using Cohort.Server.Replication;

namespace Cohort.Server.Services;

/// <summary>
/// The node's <c>/metrics</c> in the Prometheus text format (version 0.0.4). Metric names, types and help texts are
/// what dashboards and scrapers rely on: change them only with the dashboards.
/// </summary>
internal sealed class MetricsWriter(string self, ClusterAgent cluster, Coordinator coordinator, ResourceRegistry registry, ReplicatedResources? replication = null)
{
    /// <summary>The media type of the text.</summary>
    public const string MediaType = "text/plain; version=0.0.4";

    /// <summary>The node's figures now.</summary>
    public NodeMetrics Sample() => new(
        self,
        cluster.IsMaster,
        cluster.Epoch,
        coordinator.BegunCount,
        registry.ActiveTransactions(),
        [.. coordinator.List(null, int.MaxValue).GroupBy(s => s.State.ToWireName()).Select(g => (g.Key, g.Count()))],
        coordinator.PhaseTwoPending,
        coordinator.PhaseTwoWaitCount,
        coordinator.PrepareLatency,
        coordinator.DecisionLatency,
        coordinator.PhaseTwoLatency,
        replication?.Lag().Select(l => (l.Resource, l.Replica, l.Lag, l.InSync)).ToList());

    /// <summary>The text of <c>/metrics</c> now.</summary>
    public string Write() => Write(Sample(), includeProcess: true);

    /// <summary>The text for <paramref name="metrics"/>, followed by the process's own figures when <paramref name="includeProcess"/>.</summary>
    public static string Write(NodeMetrics metrics, bool includeProcess)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var lines = new List<string>
        {
            "# TYPE cohort_node_up gauge",
            $"cohort_node_up{{address=\"{metrics.Address}\",role=\"{(metrics.IsMaster ? "master" : "node")}\"}} 1",
            "# TYPE cohort_cluster_epoch gauge",
            Invariant($"cohort_cluster_epoch {metrics.Epoch}"),
            "# TYPE cohort_coordinator_begun_total counter",
            Invariant($"cohort_coordinator_begun_total {metrics.Begun}"),
            "# TYPE cohort_engine_active_transactions gauge",
        };
        foreach (var (resource, active) in metrics.ActiveTransactions)
        {
            lines.Add(Invariant($"cohort_engine_active_transactions{{resource=\"{resource}\"}} {active}"));
        }

        lines.Add("# TYPE cohort_coordinator_transactions gauge");
        foreach (var (state, count) in metrics.TransactionStates)
        {
            lines.Add(Invariant($"cohort_coordinator_transactions{{state=\"{state}\"}} {count}"));
        }

        AddMetric(lines, "cohort_coordinator_phase_two_pending", "gauge", "Decided commits whose phase two is still running.", metrics.PhaseTwoPending);
        AddMetric(lines, "cohort_coordinator_phase_two_waits_total", "counter", "Commits answered only after their phase two, because the phase-two backlog was full.", metrics.PhaseTwoWaits);
        metrics.PrepareLatency.WritePrometheus(lines, "cohort_coordinator_prepare_seconds", "Time from sending prepare (or a batch with prepare) to the last vote, per transaction this node coordinated.");
        metrics.DecisionLatency.WritePrometheus(lines, "cohort_coordinator_decision_seconds", "Time to make a commit decision durable in the decision log (group-commit wait and fsync included).");
        metrics.PhaseTwoLatency.WritePrometheus(lines, "cohort_coordinator_phase_two_seconds", "Time from a durable commit decision to the last participant's acknowledgement.");
        if (metrics.Replication is { Count: > 0 } replication)
        {
            lines.Add("# HELP cohort_replication_lag_entries Log entries a replica of a resource this node is primary of has not yet made durable.");
            lines.Add("# TYPE cohort_replication_lag_entries gauge");
            foreach (var (resource, replica, lag, inSync) in replication)
            {
                lines.Add(Invariant($"cohort_replication_lag_entries{{resource=\"{resource}\",replica=\"{replica}\",in_sync=\"{(inSync ? "true" : "false")}\"}} {lag}"));
            }
        }

        if (includeProcess)
        {
            WriteProcessMetrics(lines);
        }

        return string.Join('\n', lines) + "\n";
    }

    /// <summary>One unlabelled sample with its HELP (when given) and TYPE lines, the number written culture-invariant.</summary>
    public static void AddMetric<T>(ICollection<string> lines, string name, string type, string? help, T value, string? format = null)
        where T : IFormattable
    {
        ArgumentNullException.ThrowIfNull(lines);
        if (help is not null)
        {
            lines.Add($"# HELP {name} {help}");
        }

        lines.Add($"# TYPE {name} {type}");
        lines.Add(name + " " + value.ToString(format, CultureInfo.InvariantCulture));
    }

    // The process's own cost, for reading a benchmark per transaction (CPU and bytes allocated per commit) and for
    // spotting a node that collects garbage too often.
    private static void WriteProcessMetrics(List<string> lines)
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        AddMetric(lines, "process_cpu_seconds_total", "counter", "User and system CPU time of the node process.", process.TotalProcessorTime.TotalSeconds, "0.###");
        AddMetric(lines, "process_resident_memory_bytes", "gauge", null, process.WorkingSet64);
        AddMetric(lines, "dotnet_gc_allocated_bytes_total", "counter", "Bytes the node process has allocated on the managed heap.", GC.GetTotalAllocatedBytes());
        lines.Add("# TYPE dotnet_gc_collections_total counter");
        for (var generation = 0; generation <= GC.MaxGeneration; generation++)
        {
            lines.Add(Invariant($"dotnet_gc_collections_total{{generation=\"{generation}\"}} {GC.CollectionCount(generation)}"));
        }

        AddMetric(lines, "dotnet_gc_pause_seconds_total", "counter", null, GC.GetTotalPauseDuration().TotalSeconds, "0.######");
    }

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);
}
