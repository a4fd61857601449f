using Cohort.IntegrationTests.Harness;
using Cohort.Tests.TestSupport;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests;

/// <summary>
/// Issue 22, <c>/metrics</c> of real node processes: the whole text follows the Prometheus text-format rules (checked
/// by <see cref="PrometheusText"/>), and the coordinator's outcome counters move by exactly the transactions run.
/// </summary>
[Trait("Category", "Integration")]
public sealed class MetricsTests(ITestOutputHelper output)
{
    private const string Kv = "kv:a";
    private const string Points = "resource:points";

    [Fact]
    public async Task Metrics_OfEveryNode_FollowTheTextFormat_AndCountCommitsAndAbortsByReason()
    {
        await using var cluster = await TestCluster.StartAsync([[Kv], [Points]], output);
        await cluster.BatchOkAsync(Ops.On(Points, Ops.Initialize("PTS", 2)), Ops.On(Points, Ops.Mint("system", 1000m)));
        await cluster.WaitSettledAsync();
        var before = await ScrapeAsync(cluster, cluster.Master);

        // Three commits (two across both nodes, one a batch), an abort by request, and a batch its transfer aborts.
        for (var i = 0; i < 2; i++)
        {
            var tx = await cluster.BeginAsync(via: cluster.Nodes[1]);
            await cluster.ApplyOkAsync(tx, Kv, Ops.Put($"k{i}", "v"));
            await cluster.ApplyOkAsync(tx, Points, Ops.Transfer("system", "alice", 1m));
            var commit = await cluster.CommitAsync(tx);
            Assert.True(commit.Status == 200 && commit.TxStatus == "committed", commit.ToString());
        }

        await cluster.BatchOkAsync(Ops.On(Kv, Ops.Put("k2", "v")));
        var aborted = await cluster.BeginAsync();
        await cluster.ApplyOkAsync(aborted, Kv, Ops.Put("k3", "v"));
        var abort = await cluster.AbortAsync(aborted);
        Assert.True(abort.Status == 200 && abort.TxStatus == "aborted", abort.ToString());
        var refused = await cluster.BatchAsync(Ops.Batch(Ops.On(Kv, Ops.Put("k4", "v")), Ops.On(Points, Ops.Transfer("alice", "bob", 500m))));
        Assert.True(refused.Status == 200 && refused.TxStatus == "aborted" && refused.Code == "insufficient_funds", refused.ToString());
        await cluster.WaitSettledAsync();

        var after = await ScrapeAsync(cluster, cluster.Master);
        Assert.Equal(3, Delta("cohort_coordinator_committed_total"));
        Assert.Equal(1, Delta("cohort_coordinator_aborted_total", ("reason", "aborted")));
        Assert.Equal(1, Delta("cohort_coordinator_aborted_total", ("reason", "insufficient_funds")));
        Assert.Equal(2, after["cohort_coordinator_aborted_total"].Samples.Sum(s => s.Value) - before["cohort_coordinator_aborted_total"].Samples.Sum(s => s.Value));
        Assert.Equal(0, Delta("cohort_coordinator_in_doubt_total"));
        Assert.Equal(5, Delta("cohort_coordinator_begun_total"));

        // Every state is listed, the empty ones at 0; the members, the build and the requests are there.
        Assert.Equal(["active", "preparing", "committing", "committed", "aborted", "in-doubt"], after["cohort_coordinator_transactions"].Samples.Select(s => s.Labels["state"]));
        Assert.Equal(0, PrometheusText.Value(after, "cohort_coordinator_transactions", ("state", "in-doubt")));
        Assert.Equal(2, PrometheusText.Value(after, "cohort_cluster_members"));
        Assert.Equal(2, PrometheusText.Value(after, "cohort_cluster_members_alive"));
        Assert.False(string.IsNullOrEmpty(after["cohort_build_info"].Samples.Single().Labels["version"]));
        Assert.True(PrometheusText.Value(after, "cohort_http_requests_total", ("method", "POST"), ("route", "/v1/tx/{id}/commit"), ("status", "2xx")) >= 2);
        Assert.All(after["cohort_http_requests_total"].Samples, s => Assert.True(s.Labels["route"] == "unmatched" || !s.Labels["route"].Contains(aborted, StringComparison.Ordinal), s.Labels["route"]));
        Assert.True(PrometheusText.Value(after, "cohort_http_request_duration_seconds_count") > 0);

        // The other node's text follows the rules as well.
        await ScrapeAsync(cluster, cluster.Nodes[1]);

        double Delta(string name, params (string Name, string Value)[] labels) =>
            (PrometheusText.Value(after, name, labels) ?? double.NaN) - (PrometheusText.Value(before, name, labels) ?? double.NaN);
    }

    private async Task<IReadOnlyDictionary<string, PrometheusText.MetricFamily>> ScrapeAsync(TestCluster cluster, NodeProcess node)
    {
        var answer = await cluster.Api.GetAsync(node, "metrics");
        Assert.True(answer.Status == 200, answer.ToString());
        Assert.StartsWith("text/plain", answer.MediaType, StringComparison.Ordinal);
        output.WriteLine($"/metrics of {node}: {answer.Text.Length} characters");
        return PrometheusText.Validate(answer.Text);
    }
}
