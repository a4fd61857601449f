using System.Globalization;
using System.Text.RegularExpressions;
using Cohort.Coordination;
using Cohort.Server.Services;

namespace Cohort.Tests.Server;

public sealed class MetricsWriterTests
{
    private static readonly HistogramSnapshot Empty = new LatencyHistogram().Snapshot();

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
            PrepareLatency: Empty,
            DecisionLatency: Empty,
            PhaseTwoLatency: Empty)
        {
            Build = ("0.1.0", "abc123"),
            Members = 3,
            MembersAlive = 2,
            Committed = 9,
            Aborted = [("wounded", 2)],
            InDoubt = 1,
        };

        var text = MetricsWriter.Write(metrics, includeProcess: false);

        var lines = text.Split('\n');
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        var families = PrometheusText.Validate(text);
        Assert.Equal(
            [
                "cohort_build_info", "cohort_node_up", "cohort_cluster_epoch", "cohort_cluster_members", "cohort_cluster_members_alive",
                "cohort_coordinator_begun_total", "cohort_coordinator_committed_total", "cohort_coordinator_aborted_total",
                "cohort_coordinator_in_doubt_total", "cohort_coordinator_transactions", "cohort_engine_active_transactions",
                "cohort_coordinator_phase_two_pending", "cohort_coordinator_phase_two_waits_total", "cohort_coordinator_prepare_seconds",
                "cohort_coordinator_decision_seconds", "cohort_coordinator_phase_two_seconds", "cohort_http_requests_total",
                "cohort_http_request_duration_seconds",
            ],
            families.Keys);
        Assert.Contains("cohort_build_info{version=\"0.1.0\",commit=\"abc123\"} 1", lines);
        Assert.Contains("cohort_node_up{address=\"127.0.0.1:7001\",role=\"master\"} 1", lines);
        Assert.Contains("cohort_cluster_epoch 3", lines);
        Assert.Contains("cohort_cluster_members 3", lines);
        Assert.Contains("cohort_cluster_members_alive 2", lines);
        Assert.Contains("cohort_coordinator_begun_total 42", lines);
        Assert.Contains("cohort_coordinator_committed_total 9", lines);
        Assert.Contains("cohort_coordinator_aborted_total{reason=\"wounded\"} 2", lines);
        Assert.Contains("cohort_coordinator_aborted_total{reason=\"expired\"} 0", lines);
        Assert.Contains("cohort_coordinator_aborted_total{reason=\"other\"} 0", lines);
        Assert.Contains("cohort_coordinator_in_doubt_total 1", lines);
        Assert.Contains("cohort_engine_active_transactions{resource=\"kv:users\"} 2", lines);
        Assert.Contains("cohort_engine_active_transactions{resource=\"sql:default\"} 0", lines);
        Assert.Contains("# HELP cohort_coordinator_phase_two_pending Decided commits whose phase two is still running.", lines);
        Assert.Contains("cohort_coordinator_phase_two_pending 4", lines);
        Assert.Contains("# HELP cohort_coordinator_phase_two_waits_total Commits answered only after their phase two, because the phase-two backlog was full.", lines);
        Assert.Contains("cohort_coordinator_phase_two_waits_total 7", lines);
        Assert.Contains("# TYPE cohort_coordinator_prepare_seconds histogram", lines);
        Assert.Contains("cohort_coordinator_decision_seconds_count 0", lines);
        Assert.Contains("cohort_coordinator_phase_two_seconds_count 0", lines);
        Assert.Contains("cohort_http_request_duration_seconds_count 0", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("process_", StringComparison.Ordinal));
    }

    [Fact]
    public void Write_NotMaster_SaysNode()
    {
        var metrics = new NodeMetrics("n2:1", false, 0, 0, [], [], 0, 0, Empty, Empty, Empty);

        Assert.Contains("cohort_node_up{address=\"n2:1\",role=\"node\"} 1\n", MetricsWriter.Write(metrics, includeProcess: false), StringComparison.Ordinal);
    }

    [Fact]
    public void Write_OnAPrimary_ReportsEachReplicasLag_AndWithoutReplicatedResourcesNothing()
    {
        var metrics = new NodeMetrics("n1:1", false, 0, 0, [], [], 0, 0, Empty, Empty, Empty, [("kv:a", "n2:1", 3, true), ("kv:a", "n3:1", 120, false)]);

        var lines = MetricsWriter.Write(metrics, includeProcess: false).Split('\n');

        Assert.Contains("# TYPE cohort_replication_lag_entries gauge", lines);
        Assert.Contains("cohort_replication_lag_entries{resource=\"kv:a\",replica=\"n2:1\",in_sync=\"true\"} 3", lines);
        Assert.Contains("cohort_replication_lag_entries{resource=\"kv:a\",replica=\"n3:1\",in_sync=\"false\"} 120", lines);
        var plain = new NodeMetrics("n1:1", false, 0, 0, [], [], 0, 0, Empty, Empty, Empty);
        Assert.DoesNotContain("cohort_replication", MetricsWriter.Write(plain, includeProcess: false), StringComparison.Ordinal);
    }

    [Fact]
    public void Write_WithProcess_AddsTheProcessAndGarbageCollectorFigures()
    {
        var metrics = new NodeMetrics("n1:1", false, 0, 0, [], [], 0, 0, Empty, Empty, Empty);

        var lines = MetricsWriter.Write(metrics, includeProcess: true).Split('\n');

        Assert.Contains("# TYPE process_cpu_seconds_total counter", lines);
        Assert.Contains("# TYPE process_resident_memory_bytes gauge", lines);
        Assert.Contains("# HELP dotnet_gc_allocated_bytes_total Bytes the node process has allocated on the managed heap.", lines);
        Assert.Contains("# TYPE dotnet_gc_collections_total counter", lines);
        Assert.Contains(lines, l => l.StartsWith("dotnet_gc_collections_total{generation=\"0\"} ", StringComparison.Ordinal));
        Assert.Contains("# TYPE dotnet_gc_pause_seconds_total counter", lines);

        // This test process has JIT-compiled methods by now, so the counters are positive.
        var compiled = lines.Single(l => l.StartsWith("dotnet_jit_compiled_methods_total ", StringComparison.Ordinal));
        Assert.True(long.Parse(compiled.Split(' ')[1], CultureInfo.InvariantCulture) > 0, compiled);
        var jitTime = lines.Single(l => l.StartsWith("dotnet_jit_compilation_seconds_total ", StringComparison.Ordinal));
        Assert.True(double.Parse(jitTime.Split(' ')[1], CultureInfo.InvariantCulture) > 0, jitTime);
    }

    [Fact]
    public void AddMetric_InACommaDecimalCulture_WritesAPoint()
    {
        var before = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
        try
        {
            var lines = new List<string>();
            MetricsWriter.AddMetric(lines, "x_seconds_total", "counter", "X.", 1.25, "0.###");

            Assert.Equal(["# HELP x_seconds_total X.", "# TYPE x_seconds_total counter", "x_seconds_total 1.25"], lines);
        }
        finally
        {
            CultureInfo.CurrentCulture = before;
        }
    }

    [Fact]
    public void Write_EveryStateListed_TheOnesWithNoTransactionsAtZero()
    {
        var metrics = new NodeMetrics("n1:1", false, 0, 0, [], [("committed", 5)], 0, 0, Empty, Empty, Empty);

        var lines = MetricsWriter.Write(metrics, includeProcess: false).Split('\n');

        Assert.Equal(
            [
                "cohort_coordinator_transactions{state=\"active\"} 0",
                "cohort_coordinator_transactions{state=\"preparing\"} 0",
                "cohort_coordinator_transactions{state=\"committing\"} 0",
                "cohort_coordinator_transactions{state=\"committed\"} 5",
                "cohort_coordinator_transactions{state=\"aborted\"} 0",
                "cohort_coordinator_transactions{state=\"in-doubt\"} 0",
            ],
            lines.Where(l => l.StartsWith("cohort_coordinator_transactions{", StringComparison.Ordinal)));
    }

    [Fact]
    public void Write_WithProcessAndReplicationAndRequests_FollowsTheTextFormat_LabelValuesEscaped()
    {
        var http = new HttpMetrics();
        http.Record("get", "/v1/tx/{id}", 200, TimeSpan.FromMilliseconds(2));
        http.Record("BREW", null, 404, TimeSpan.FromMilliseconds(1));
        http.Record("GET", "/internal/ws", 101, TimeSpan.FromMinutes(5));
        var metrics = new NodeMetrics("odd\"node\\\n1", true, 1, 2, [("kv:a\"b", 1)], [], 0, 0, Empty, Empty, Empty, [("kv:a", "n2:1", 3, true)])
        {
            Build = ("0.1.0", null),
            HttpRequests = http.Requests(),
            HttpDuration = http.Duration.Snapshot(),
        };

        var text = MetricsWriter.Write(metrics, includeProcess: true);

        var families = PrometheusText.Validate(text);
        Assert.Contains("cohort_node_up{address=\"odd\\\"node\\\\\\n1\",role=\"master\"} 1\n", text, StringComparison.Ordinal);
        Assert.Equal("odd\"node\\\n1", families["cohort_node_up"].Samples[0].Labels["address"]);
        Assert.Equal(1, PrometheusText.Value(families, "cohort_build_info", ("version", "0.1.0")));
        Assert.Equal(1, PrometheusText.Value(families, "cohort_http_requests_total", ("method", "GET"), ("route", "/v1/tx/{id}"), ("status", "2xx")));
        Assert.Equal(1, PrometheusText.Value(families, "cohort_http_requests_total", ("method", "OTHER"), ("route", "unmatched"), ("status", "4xx")));
        Assert.Equal(1, PrometheusText.Value(families, "cohort_http_requests_total", ("method", "GET"), ("route", "/internal/ws"), ("status", "1xx")));
        Assert.Equal(2, PrometheusText.Value(families, "cohort_http_request_duration_seconds_count"));
        Assert.Contains("cohort_replication_lag_entries", families.Keys);
        Assert.Contains("dotnet_gc_collections_total", families.Keys);
    }

    [Fact]
    public void BuildOf_SplitsTheInformationalVersionAtThePlus()
    {
        var (version, commit) = MetricsWriter.BuildOf(typeof(MetricsWriter).Assembly);

        Assert.StartsWith("0.", version, StringComparison.Ordinal);
        Assert.DoesNotContain("+", version, StringComparison.Ordinal);
        Assert.True(commit is null || commit.Length > 0);
    }

    [Fact]
    public void Write_EveryFamily_IsTheOneDocsOperationsListsWithItsTypeAndLabels()
    {
        var http = new HttpMetrics();
        http.Record("GET", "/metrics", 200, TimeSpan.FromMilliseconds(1));
        var metrics = new NodeMetrics("n1:1", true, 1, 0, [("kv:a", 0)], [], 0, 0, Empty, Empty, Empty, [("kv:a", "n2:1", 0, true)])
        {
            Build = ("0.1.0", "abc"),
            HttpRequests = http.Requests(),
        };
        var written = PrometheusText.Validate(MetricsWriter.Write(metrics, includeProcess: true));

        var documented = DocumentedFamilies();

        Assert.Equal(written.Keys.Order(StringComparer.Ordinal), documented.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, family) in written)
        {
            var (type, labels) = documented[name];
            Assert.True(type == family.Type, $"{name}: written as {family.Type}, documented as {type}");
            var used = family.Samples.SelectMany(s => s.Labels.Keys).ToHashSet(StringComparer.Ordinal);
            Assert.True(used.SetEquals(labels), $"{name}: labels written {string.Join(",", used)}, documented {string.Join(",", labels)}");
        }
    }

    // The table under "### Metrics" in docs/operations.md: family, type, and the label names (each label's first
    // back-quoted word in the labels column before any parenthesis or colon).
    private static Dictionary<string, (string Type, HashSet<string> Labels)> DocumentedFamilies()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Cohort.slnx")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        var text = File.ReadAllText(Path.Combine(directory.FullName, "docs", "operations.md"));
        var start = text.IndexOf("### Metrics", StringComparison.Ordinal);
        var end = text.IndexOf("\n#", start + 1, StringComparison.Ordinal);
        var section = end < 0 ? text[start..] : text[start..end];
        var families = new Dictionary<string, (string, HashSet<string>)>(StringComparer.Ordinal);
        foreach (var row in section.Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal)))
        {
            var cells = row.Split('|').Select(c => c.Trim()).ToArray();
            var labels = new HashSet<string>(StringComparer.Ordinal);
            foreach (var part in Regex.Replace(cells[3], @"\([^)]*\)|:.*", string.Empty).Split(','))
            {
                if (Regex.Match(part, "`([a-z_]+)`") is { Success: true } label)
                {
                    labels.Add(label.Groups[1].Value);
                }
            }

            families.Add(cells[1].Trim('`'), (cells[2], labels));
        }

        return families;
    }
}
