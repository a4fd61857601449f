using System.Globalization;
using System.Reflection;
using System.Text;
using Cohort.Cluster;
using Cohort.Coordination;
using Cohort.Protocol;
using Cohort.Server.Replication;

namespace Cohort.Server.Services;

/// <summary>
/// The node's <c>/metrics</c> in the Prometheus text format (version 0.0.4): every family once, with one HELP and one
/// TYPE line before its samples, label values escaped. Metric names, types and help texts are what dashboards and
/// scrapers rely on (docs/operations.md lists them): change them only with the dashboards and that list.
/// </summary>
internal sealed class MetricsWriter(string self, ClusterAgent cluster, Coordinator coordinator, ResourceRegistry registry, ReplicatedResources? replication = null, HttpMetrics? http = null)
{
    /// <summary>The media type of the text.</summary>
    public const string MediaType = "text/plain; version=0.0.4";

    /// <summary>Every transaction state the state gauge lists (all but <see cref="TransactionState.Unknown"/>), by wire name.</summary>
    public static readonly IReadOnlyList<string> States =
        [.. Enum.GetValues<TransactionState>().Where(s => s != TransactionState.Unknown).Select(s => s.ToWireName())];

    /// <summary>The node's figures now.</summary>
    public NodeMetrics Sample()
    {
        var members = cluster.Members;
        return new NodeMetrics(
            self,
            cluster.IsMaster,
            cluster.Epoch,
            coordinator.BegunCount,
            registry.ActiveTransactions(),
            [.. coordinator.List(null, int.MaxValue).GroupBy(s => s.State.ToWireName()).Select(g => (g.Key, g.Count()))],
            coordinator.PhaseTwoPending,
            coordinator.PhaseTwoWaitCount,
            coordinator.PrepareLatency.Snapshot(),
            coordinator.DecisionLatency.Snapshot(),
            coordinator.PhaseTwoLatency.Snapshot(),
            replication?.Lag().Select(l => (l.Resource, l.Replica, l.Lag, l.InSync)).ToList())
        {
            Members = members.Count,
            MembersAlive = members.Count(m => m.Alive),
            Committed = coordinator.Outcomes.Committed,
            Aborted = coordinator.Outcomes.Aborted(),
            InDoubt = coordinator.Outcomes.InDoubt,
            HttpRequests = http?.Requests() ?? [],
            HttpDuration = (http?.Duration ?? new LatencyHistogram()).Snapshot(),
        };
    }

    /// <summary>The text of <c>/metrics</c> now.</summary>
    public string Write() => Write(Sample(), includeProcess: true);

    /// <summary>The text for <paramref name="metrics"/>, followed by the process's own figures when <paramref name="includeProcess"/>.</summary>
    public static string Write(NodeMetrics metrics, bool includeProcess)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var lines = new List<string>();
        Family(lines, "cohort_build_info", "gauge", "Always 1; the labels name the node's version and, when the build knew it, its source commit.");
        lines.Add(metrics.Build.Commit is { } commit
            ? $"cohort_build_info{{version=\"{Escape(metrics.Build.Version)}\",commit=\"{Escape(commit)}\"}} 1"
            : $"cohort_build_info{{version=\"{Escape(metrics.Build.Version)}\"}} 1");
        Family(lines, "cohort_node_up", "gauge", "Always 1; the labels name the node's address and its role now (master or node).");
        lines.Add($"cohort_node_up{{address=\"{Escape(metrics.Address)}\",role=\"{(metrics.IsMaster ? "master" : "node")}\"}} 1");
        AddMetric(lines, "cohort_cluster_epoch", "gauge", "The newest cluster epoch this node has seen.", metrics.Epoch);
        AddMetric(lines, "cohort_cluster_members", "gauge", "Members of the cluster this node knows of, alive or not.", metrics.Members);
        AddMetric(lines, "cohort_cluster_members_alive", "gauge", "Members of the cluster alive as this node sees them (itself included).", metrics.MembersAlive);
        AddMetric(lines, "cohort_coordinator_begun_total", "counter", "Transactions this node's coordinator has begun since the node started.", metrics.Begun);
        AddMetric(lines, "cohort_coordinator_committed_total", "counter", "Transactions this node's coordinator committed since the node started (in-doubt ones it later resolved as committed included).", metrics.Committed);
        Family(lines, "cohort_coordinator_aborted_total", "counter", "Transactions this node's coordinator aborted since the node started, by reason: the abort's error code, or other.");
        var aborted = metrics.Aborted.ToDictionary(a => a.Reason, a => a.Count, StringComparer.Ordinal);
        foreach (var reason in CoordinatorCounters.Reasons)
        {
            lines.Add(Invariant($"cohort_coordinator_aborted_total{{reason=\"{Escape(reason)}\"}} {aborted.GetValueOrDefault(reason)}"));
        }

        AddMetric(lines, "cohort_coordinator_in_doubt_total", "counter", "Transactions whose outcome became in doubt at this node's coordinator since the node started.", metrics.InDoubt);
        Family(lines, "cohort_coordinator_transactions", "gauge", "Transactions this node's coordinator holds now (live and recently finished ones it remembers), by state.");
        var states = metrics.TransactionStates.ToDictionary(s => s.State, s => s.Count, StringComparer.Ordinal);
        foreach (var state in States)
        {
            lines.Add(Invariant($"cohort_coordinator_transactions{{state=\"{state}\"}} {states.GetValueOrDefault(state)}"));
        }

        Family(lines, "cohort_engine_active_transactions", "gauge", "Unfinished (active or prepared) transactions in each resource this node hosts.");
        foreach (var (resource, active) in metrics.ActiveTransactions)
        {
            lines.Add(Invariant($"cohort_engine_active_transactions{{resource=\"{Escape(resource)}\"}} {active}"));
        }

        AddMetric(lines, "cohort_coordinator_phase_two_pending", "gauge", "Decided commits whose phase two is still running.", metrics.PhaseTwoPending);
        AddMetric(lines, "cohort_coordinator_phase_two_waits_total", "counter", "Commits answered only after their phase two, because the phase-two backlog was full.", metrics.PhaseTwoWaits);
        metrics.PrepareLatency.WritePrometheus(lines, "cohort_coordinator_prepare_seconds", "Time from sending prepare (or a batch with prepare) to the last vote, per transaction this node coordinated.");
        metrics.DecisionLatency.WritePrometheus(lines, "cohort_coordinator_decision_seconds", "Time to make a commit decision durable in the decision log (group-commit wait and fsync included).");
        metrics.PhaseTwoLatency.WritePrometheus(lines, "cohort_coordinator_phase_two_seconds", "Time from a durable commit decision to the last participant's acknowledgement.");
        if (metrics.Replication is { Count: > 0 } replication)
        {
            Family(lines, "cohort_replication_lag_entries", "gauge", "Log entries a replica of a resource this node is primary of has not yet made durable.");
            foreach (var (resource, replica, lag, inSync) in replication)
            {
                lines.Add(Invariant($"cohort_replication_lag_entries{{resource=\"{Escape(resource)}\",replica=\"{Escape(replica)}\",in_sync=\"{(inSync ? "true" : "false")}\"}} {lag}"));
            }
        }

        Family(lines, "cohort_http_requests_total", "counter", "HTTP requests this node answered since it started, by method, route template (unmatched when no endpoint matched) and status class.");
        foreach (var (method, route, status, count) in metrics.HttpRequests)
        {
            lines.Add(Invariant($"cohort_http_requests_total{{method=\"{Escape(method)}\",route=\"{Escape(route)}\",status=\"{Escape(status)}\"}} {count}"));
        }

        metrics.HttpDuration.WritePrometheus(lines, "cohort_http_request_duration_seconds", "Time this node took to answer an HTTP request, from its first middleware to the end of the answer (protocol switches not timed).");
        if (includeProcess)
        {
            WriteProcessMetrics(lines);
        }

        return string.Join('\n', lines) + "\n";
    }

    /// <summary>One unlabelled sample with its HELP and TYPE lines, the number written culture-invariant.</summary>
    public static void AddMetric<T>(ICollection<string> lines, string name, string type, string help, T value, string? format = null)
        where T : IFormattable
    {
        Family(lines, name, type, help);
        lines.Add(name + " " + value.ToString(format, CultureInfo.InvariantCulture));
    }

    /// <summary>A label value escaped for the text format: backslash, double quote and line feed.</summary>
    public static string Escape(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.AsSpan().IndexOfAny("\\\"\n") < 0)
        {
            return value;
        }

        var text = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            text.Append(c switch
            {
                '\\' => "\\\\",
                '"' => "\\\"",
                '\n' => "\\n",
                _ => c.ToString(),
            });
        }

        return text.ToString();
    }

    /// <summary>
    /// The version and source commit of <paramref name="assembly"/>, from its informational version
    /// (<c>0.1.0+3f2a…</c>: the commit follows the plus when the build knew it).
    /// </summary>
    public static (string Version, string? Commit) BuildOf(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString()
            ?? "unknown";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? (informational, null) : (informational[..plus], informational[(plus + 1)..]);
    }

    // The HELP and TYPE lines that open a family.
    private static void Family(ICollection<string> lines, string name, string type, string help)
    {
        ArgumentNullException.ThrowIfNull(lines);
        lines.Add($"# HELP {name} {help}");
        lines.Add($"# TYPE {name} {type}");
    }

    // The process's own cost, for reading a benchmark per transaction (CPU and bytes allocated per commit) and for
    // spotting a node that collects garbage too often.
    private static void WriteProcessMetrics(List<string> lines)
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        AddMetric(lines, "process_cpu_seconds_total", "counter", "User and system CPU time of the node process.", process.TotalProcessorTime.TotalSeconds, "0.###");
        AddMetric(lines, "process_resident_memory_bytes", "gauge", "Resident memory (working set) of the node process.", process.WorkingSet64);
        AddMetric(lines, "dotnet_gc_allocated_bytes_total", "counter", "Bytes the node process has allocated on the managed heap.", GC.GetTotalAllocatedBytes());
        Family(lines, "dotnet_gc_collections_total", "counter", "Garbage collections of the node process, by generation.");
        for (var generation = 0; generation <= GC.MaxGeneration; generation++)
        {
            lines.Add(Invariant($"dotnet_gc_collections_total{{generation=\"{generation}\"}} {GC.CollectionCount(generation)}"));
        }

        AddMetric(lines, "dotnet_gc_pause_seconds_total", "counter", "Time the node process was paused for garbage collection.", GC.GetTotalPauseDuration().TotalSeconds, "0.######");

        // The JIT's work since start: what a node spends warming up (first-tier and recompiled methods alike).
        AddMetric(lines, "dotnet_jit_compiled_methods_total", "counter", "Methods the JIT has compiled in the node process (recompilations included).", System.Runtime.JitInfo.GetCompiledMethodCount());
        AddMetric(lines, "dotnet_jit_compilation_seconds_total", "counter", "Time the node process's threads spent in the JIT.", System.Runtime.JitInfo.GetCompilationTime().TotalSeconds, "0.######");
    }

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);
}
