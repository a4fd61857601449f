using System.Globalization;
using Cohort.Coordination;
using Cohort.Server.Services;

namespace Cohort.Tests.Server;

public sealed class MetricsWriterTests
{
    [Fact]
    public void Write_NodeFigures_KeepsTheNamesTypesAndHelpTextsDashboardsRead()
    {
        var metrics = new NodeMetrics(
            "127.0.0.1:7001",
            IsMaster: true,
            Epoch: 3,
            Begun: 42,
            ActiveTransactions: [("kv:users", 2), ("sql:default", 0)],
            TransactionStates: [("committed", 5), ("in-doubt", 1)],
            PhaseTwoPending: 4,
            PhaseTwoWaits: 7,
            PrepareLatency: new LatencyHistogram(),
            DecisionLatency: new LatencyHistogram(),
            PhaseTwoLatency: new LatencyHistogram());

        var text = MetricsWriter.Write(metrics, includeProcess: false);

        var lines = text.Split('\n');
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        Assert.Equal(
            [
                "# TYPE cohort_node_up gauge",
                "cohort_node_up{address=\"127.0.0.1:7001\",role=\"master\"} 1",
                "# TYPE cohort_cluster_epoch gauge",
                "cohort_cluster_epoch 3",
                "# TYPE cohort_coordinator_begun_total counter",
                "cohort_coordinator_begun_total 42",
                "# TYPE cohort_engine_active_transactions gauge",
                "cohort_engine_active_transactions{resource=\"kv:users\"} 2",
                "cohort_engine_active_transactions{resource=\"sql:default\"} 0",
                "# TYPE cohort_coordinator_transactions gauge",
                "cohort_coordinator_transactions{state=\"committed\"} 5",
                "cohort_coordinator_transactions{state=\"in-doubt\"} 1",
                "# HELP cohort_coordinator_phase_two_pending Decided commits whose phase two is still running.",
                "# TYPE cohort_coordinator_phase_two_pending gauge",
                "cohort_coordinator_phase_two_pending 4",
                "# HELP cohort_coordinator_phase_two_waits_total Commits answered only after their phase two, because the phase-two backlog was full.",
                "# TYPE cohort_coordinator_phase_two_waits_total counter",
                "cohort_coordinator_phase_two_waits_total 7",
            ],
            lines.Take(18));
        Assert.Contains("# TYPE cohort_coordinator_prepare_seconds histogram", lines);
        Assert.Contains("# TYPE cohort_coordinator_decision_seconds histogram", lines);
        Assert.Contains("cohort_coordinator_decision_seconds_count 0", lines);
        Assert.Contains("# TYPE cohort_coordinator_phase_two_seconds histogram", lines);
        Assert.Contains("cohort_coordinator_phase_two_seconds_count 0", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("process_", StringComparison.Ordinal));
    }

    [Fact]
    public void Write_NotMaster_SaysNode()
    {
        var metrics = new NodeMetrics("n2:1", false, 0, 0, [], [], 0, 0, new LatencyHistogram(), new LatencyHistogram(), new LatencyHistogram());

        Assert.Contains("cohort_node_up{address=\"n2:1\",role=\"node\"} 1\n", MetricsWriter.Write(metrics, includeProcess: false), StringComparison.Ordinal);
    }

    [Fact]
    public void Write_OnAPrimary_ReportsEachReplicasLag_AndWithoutReplicatedResourcesNothing()
    {
        var metrics = new NodeMetrics("n1:1", false, 0, 0, [], [], 0, 0, new LatencyHistogram(), new LatencyHistogram(), new LatencyHistogram(), [("kv:a", "n2:1", 3, true), ("kv:a", "n3:1", 120, false)]);

        var lines = MetricsWriter.Write(metrics, includeProcess: false).Split('\n');

        Assert.Contains("# TYPE cohort_replication_lag_entries gauge", lines);
        Assert.Contains("cohort_replication_lag_entries{resource=\"kv:a\",replica=\"n2:1\",in_sync=\"true\"} 3", lines);
        Assert.Contains("cohort_replication_lag_entries{resource=\"kv:a\",replica=\"n3:1\",in_sync=\"false\"} 120", lines);
        var plain = new NodeMetrics("n1:1", false, 0, 0, [], [], 0, 0, new LatencyHistogram(), new LatencyHistogram(), new LatencyHistogram());
        Assert.DoesNotContain("cohort_replication", MetricsWriter.Write(plain, includeProcess: false), StringComparison.Ordinal);
    }

    [Fact]
    public void Write_WithProcess_AddsTheProcessAndGarbageCollectorFigures()
    {
        var metrics = new NodeMetrics("n1:1", false, 0, 0, [], [], 0, 0, new LatencyHistogram(), new LatencyHistogram(), new LatencyHistogram());

        var lines = MetricsWriter.Write(metrics, includeProcess: true).Split('\n');

        Assert.Contains("# TYPE process_cpu_seconds_total counter", lines);
        Assert.Contains("# TYPE process_resident_memory_bytes gauge", lines);
        Assert.Contains("# HELP dotnet_gc_allocated_bytes_total Bytes the node process has allocated on the managed heap.", lines);
        Assert.Contains("# TYPE dotnet_gc_collections_total counter", lines);
        Assert.Contains(lines, l => l.StartsWith("dotnet_gc_collections_total{generation=\"0\"} ", StringComparison.Ordinal));
        Assert.Contains("# TYPE dotnet_gc_pause_seconds_total counter", lines);
    }

    [Fact]
    public void AddMetric_InACommaDecimalCulture_WritesAPoint()
    {
        var before = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
        try
        {
            var lines = new List<string>();
            MetricsWriter.AddMetric(lines, "x_seconds_total", "counter", null, 1.25, "0.###");

            Assert.Equal(["# TYPE x_seconds_total counter", "x_seconds_total 1.25"], lines);
        }
        finally
        {
            CultureInfo.CurrentCulture = before;
        }
    }
}
