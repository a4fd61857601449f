using System.Text.Json.Nodes;
using Cohort.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests.Dashboard;

/// <summary>
/// Issue 22, what the dashboard reads, against real node processes with a token: the page and its assets load without
/// the token and every data call needs it; <c>GET /v1/tx?label=</c> (validated); the timeline in <c>GET /v1/tx/{id}</c>;
/// <c>GET /v1/stats/samples</c> for a node and the cluster; a killed node's resources listed unavailable and its failed
/// heartbeats in <c>/cluster/nodes</c>.
/// </summary>
[Trait("Category", "Integration")]
public sealed class DashboardApiTests(ITestOutputHelper output)
{
    private const string Token = "dashboard-api-token";

    [Fact]
    public async Task DashboardEndpoints_OnTokenCluster_AnswerWhatThePageReads()
    {
        await using var cluster = await TestCluster.StartAsync([["kv:a"], ["kv:b"]], output, authToken: Token);
        using var anonymous = new ApiClient(authToken: null);

        // The page, its script and style without the token; data only with it.
        foreach (var (path, media) in new[] { ("dashboard", "text/html"), ("dashboard/app.js", "text/javascript"), ("dashboard/app.css", "text/css") })
        {
            var asset = await anonymous.SendRawAsync(cluster.Master, HttpMethod.Get, path, null);
            Assert.True(asset.Status == 200, $"{path}: {asset.Status}");
            Assert.StartsWith(media, asset.MediaType, StringComparison.Ordinal);
        }

        foreach (var path in new[] { "v1/stats/samples", "v1/tx?label=x", "cluster/nodes", "v1/resources", "dashboard/missing.js" })
        {
            var refused = await anonymous.GetAsync(cluster.Master, path);
            Assert.True(refused.Status == 401 && refused.Code == "unauthorized", $"{path}: {refused}");
        }

        // Two labelled transactions, one across both nodes (committed), one aborted.
        var label = "lbl-" + Guid.NewGuid().ToString("N")[..8];
        var committed = await BeginAsync(cluster, label);
        await cluster.ApplyOkAsync(committed, "kv:a", Ops.Put("k", "v"));
        await cluster.ApplyOkAsync(committed, "kv:b", Ops.Put("k", "v"));
        Assert.Equal("committed", (await cluster.CommitAsync(committed)).TxStatus);
        var aborted = await BeginAsync(cluster, label + "-other");
        await cluster.ApplyOkAsync(aborted, "kv:a", Ops.Put("k2", "v"));
        Assert.Equal("aborted", (await cluster.AbortAsync(aborted)).TxStatus);

        // ?label= matches exactly, through any node; bad values are refused.
        foreach (var via in cluster.Nodes)
        {
            var listed = await cluster.Api.GetAsync(via, "v1/tx?label=" + Uri.EscapeDataString(label));
            Assert.True(listed.Status == 200, listed.ToString());
            Assert.Equal([committed], listed.Body["transactions"]!.AsArray().Select(t => t!["tx_id"]!.GetValue<string>()));
        }

        var newest = await cluster.Api.GetAsync(cluster.Nodes[1], "v1/tx?order=newest&limit=1");
        Assert.Equal(aborted, newest.Body["transactions"]![0]!["tx_id"]!.GetValue<string>());
        Assert.Null(newest.Body["next"]);
        foreach (var bad in new[] { "label=", "label=" + new string('x', 257), "label=a&label=b", "order=sideways", $"order=newest&after={committed}", "scope=x" })
        {
            var path = bad.StartsWith("scope", StringComparison.Ordinal) ? "v1/stats/samples?" + bad : "v1/tx?" + bad;
            var refused = await cluster.Api.GetAsync(cluster.Master, path);
            Assert.True(refused.Status == 400 && refused.IsProblem && refused.Code == "bad_operation", $"{path}: {refused}");
        }

        // The timeline: every state change with the coordinator's time, in order.
        await Wait.UntilAsync(async () => (await cluster.Api.GetAsync(cluster.Master, $"v1/tx/{committed}")).Body["state"]!.GetValue<string>() == "committed", Wait.Long, "phase two done");
        Assert.Equal(["active", "preparing", "committing", "committed"], await TimelineAsync(cluster, committed));
        Assert.Equal(["active", "aborted"], await TimelineAsync(cluster, aborted));

        // Samples: the commit shows up in this node's and the cluster's, each cluster sample naming every node.
        // (Both: the abort came after the commit, so a sample taken between them counts only the commit.)
        await Wait.UntilAsync(
            async () =>
            {
                var mine = (await cluster.Api.GetAsync(cluster.Master, "v1/stats/samples")).Body["samples"]!.AsArray();
                return mine.Sum(s => s!["committed"]!.GetValue<long>()) >= 1 && mine.Any(s => s!["aborted"]!["aborted"] is JsonValue);
            },
            Wait.Long,
            "the commit and the abort in the master's samples");
        var samples = await cluster.Api.GetAsync(cluster.Nodes[1], "v1/stats/samples?scope=cluster");
        Assert.True(samples.Status == 200, samples.ToString());
        Assert.Equal(2000, samples.Body["interval_ms"]!.GetValue<long>());
        Assert.Equal(cluster.Nodes.Select(n => n.Address).Order(StringComparer.Ordinal), samples.Body["nodes"]!.AsArray().Select(n => n!["node"]!.GetValue<string>()));
        var all = samples.Body["samples"]!.AsArray();
        Assert.True(all.Sum(s => s!["committed"]!.GetValue<long>()) >= 1, samples.ToString());
        Assert.Contains(all, s => s!["p99_ms"] is JsonValue);
        Assert.Contains(all, s => s!["aborted"]!["aborted"] is JsonValue);

        // A node killed: its resources stay listed with their home, unavailable; its heartbeats fail.
        var victim = cluster.Nodes[1];
        await victim.KillAsync();
        await Wait.UntilAsync(
            async () =>
            {
                var resources = (await cluster.Api.GetAsync(cluster.Master, "v1/resources")).Body["resources"]!.AsArray();
                var kvB = resources.SingleOrDefault(r => r!["name"]!.GetValue<string>() == "kv:b");
                return kvB is not null && kvB["node"]!.GetValue<string>() == victim.Address && !kvB["available"]!.GetValue<bool>()
                    && resources.Single(r => r!["name"]!.GetValue<string>() == "kv:a")!["available"]!.GetValue<bool>()
                    && resources.Any(r => r!["name"]!.GetValue<string>() == TestCluster.DefaultShard(victim) && !r["available"]!.GetValue<bool>());
            },
            Wait.Long,
            "kv:b listed unavailable on its dead home");
        var nodes = (await cluster.Api.GetAsync(cluster.Master, "cluster/nodes")).Body;
        var dead = nodes["nodes"]!.AsArray().Single(n => n!["address"]!.GetValue<string>() == victim.Address)!;
        Assert.False(dead["alive"]!.GetValue<bool>());
        Assert.True(dead["consecutive_failures"]!.GetValue<int>() >= 1, dead.ToJsonString());
        Assert.False(string.IsNullOrEmpty(dead["last_error"]?.GetValue<string>()), dead.ToJsonString());
        Assert.True(dead["last_seen_ms"]!.GetValue<long>() > 0, dead.ToJsonString());

        // The cluster's samples still answer with the node gone (from the members alive).
        var after = await cluster.Api.GetAsync(cluster.Master, "v1/stats/samples?scope=cluster");
        Assert.True(after.Status == 200, after.ToString());
        Assert.Equal([cluster.Master.Address], after.Body["nodes"]!.AsArray().Select(n => n!["node"]!.GetValue<string>()));
    }

    private static async Task<string> BeginAsync(TestCluster cluster, string label)
    {
        var begun = await cluster.Api.PostAsync(cluster.Master, "v1/tx", new JsonObject { ["timeout_ms"] = 30_000, ["label"] = label });
        Assert.True(begun.Status == 201, begun.ToString());
        return begun.Body["tx_id"]!.GetValue<string>();
    }

    private static async Task<List<string>> TimelineAsync(TestCluster cluster, string txId)
    {
        var tx = (await cluster.Api.GetAsync(cluster.Master, $"v1/tx/{txId}")).Body;
        var steps = tx["timeline"]!.AsArray().Select(s => (State: s!["state"]!.GetValue<string>(), At: DateTimeOffset.Parse(s["at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture))).ToList();
        for (var i = 1; i < steps.Count; i++)
        {
            Assert.True(steps[i].At >= steps[i - 1].At, tx.ToJsonString());
        }

        return [.. steps.Select(s => s.State)];
    }
}
