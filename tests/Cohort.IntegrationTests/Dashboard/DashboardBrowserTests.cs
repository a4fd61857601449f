using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cohort.IntegrationTests.Harness;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Cohort.IntegrationTests.Dashboard;

/// <summary>
/// Issue 22, the dashboard in a real browser (Debian's chromium through Playwright) against real node processes: sign-in
/// on a token cluster, a transaction seen in the browser with its participants and timeline, a killed node's resources
/// flagged unavailable, charts drawn from samples; without a token no sign-in, and a banner when the node stops
/// answering. A screenshot at each step (<see cref="Browser.ScreenshotDirectory"/>). Every wait is Playwright's, bounded
/// by <see cref="Browser.Timeout"/>.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Category", "Browser")]
public sealed partial class DashboardBrowserTests(ITestOutputHelper output)
{
    private const string Token = "dashboard-test-token";

    private static readonly LocatorAssertionsToBeVisibleOptions Visible = new() { Timeout = Browser.Timeout };

    [Fact]
    public async Task Dashboard_OnTokenCluster_SignsIn_ShowsATransactionWithItsTimeline_AndFlagsAKilledNodesResources()
    {
        await using var cluster = await TestCluster.StartAsync([["kv:a"], ["kv:b"], ["queue:q"]], output, authToken: Token);
        await using var browser = await Browser.StartAsync(nameof(Dashboard_OnTokenCluster_SignsIn_ShowsATransactionWithItsTimeline_AndFlagsAKilledNodesResources));
        var page = browser.Page;
        try
        {
            // The page loads without the token; its first data call answers 401, so it asks for one.
            var response = await page.GotoAsync(new Uri(cluster.Master.BaseUri, "dashboard").ToString());
            Assert.Equal(200, response!.Status);
            await Expect(page.Locator("#signin")).ToBeVisibleAsync(Visible);
            await Expect(page.Locator("#main")).ToBeHiddenAsync();
            await browser.ScreenshotAsync("sign-in");

            // A wrong token is refused and the form stays.
            await page.FillAsync("#token-input", "not-the-token");
            await page.ClickAsync("#signin-button");
            await Expect(page.Locator("#signin-error")).ToContainTextAsync("refused", new() { Timeout = Browser.Timeout });
            await browser.ScreenshotAsync("wrong-token");

            // Signed in: every node shows.
            await page.FillAsync("#token-input", Token);
            await page.ClickAsync("#signin-button");
            await Expect(page.Locator("#main")).ToBeVisibleAsync(Visible);
            foreach (var node in cluster.Nodes)
            {
                await Expect(page.Locator($"#nodes tr[data-node='{node.Address}']")).ToContainTextAsync("alive", new() { Timeout = Browser.Timeout });
            }

            await Expect(page.Locator("#signout")).ToBeVisibleAsync(Visible);
            Assert.Equal(Token, await page.EvaluateAsync<string>("() => sessionStorage.getItem('cohort.dashboard.token')"));
            await browser.ScreenshotAsync("signed-in");

            // A two-phase transaction over two nodes, run with the harness's client, appears in the browser.
            var label = "dash-" + Guid.NewGuid().ToString("N")[..8];
            var begun = await cluster.Api.PostAsync(cluster.Master, "v1/tx", new JsonObject { ["timeout_ms"] = 30_000, ["label"] = label });
            Assert.True(begun.Status == 201, begun.ToString());
            var txId = begun.Body["tx_id"]!.GetValue<string>();
            await cluster.ApplyOkAsync(txId, "kv:a", Ops.Put("k", "v"));
            await cluster.ApplyOkAsync(txId, "kv:b", Ops.Put("k", "v"));
            var commit = await cluster.CommitAsync(txId);
            Assert.True(commit.Status == 200 && commit.TxStatus == "committed", commit.ToString());

            var row = page.Locator($"#tx-table tr[data-tx='{txId}']");
            await Expect(row).ToBeVisibleAsync(Visible);
            await Expect(row).ToContainTextAsync(label);
            await browser.ScreenshotAsync("transaction-listed");

            // Opened: its participants, and its timeline through to committed (phase two may still be finishing).
            await row.ClickAsync();
            await Expect(page.Locator("#tx-detail-id")).ToHaveTextAsync(txId, new() { Timeout = Browser.Timeout });
            foreach (var name in new[] { "kv:a", "kv:b" })
            {
                var participant = page.Locator($"#tx-participants tr[data-resource='{name}']");
                await Expect(participant).ToBeVisibleAsync(Visible);
                await Expect(participant).ToContainTextAsync("Yes");
            }

            foreach (var state in new[] { "active", "preparing", "committing", "committed" })
            {
                await Expect(page.Locator($"#tx-timeline li[data-state='{state}']")).ToBeVisibleAsync(Visible);
            }

            await Expect(page.Locator("#tx-participants tr[data-resource='kv:b']")).ToContainTextAsync(AcknowledgedYes(), new() { Timeout = Browser.Timeout });
            await browser.ScreenshotAsync("transaction-opened");

            // Found by its label too.
            await page.FillAsync("#tx-search", label);
            await page.ClickAsync("#tx-search-button");
            await Expect(page.Locator("#tx-caption")).ToContainTextAsync(label, new() { Timeout = Browser.Timeout });
            await Expect(page.Locator("#tx-table tbody tr")).ToHaveCountAsync(1, new() { Timeout = Browser.Timeout });
            await Expect(row).ToBeVisibleAsync(Visible);
            await browser.ScreenshotAsync("search-by-label");

            // The charts draw the samples: a line of throughput, and the commit's latency.
            await Expect(page.Locator("#chart-throughput")).ToHaveAttributeAsync("data-points", TwoOrMore(), new() { Timeout = Browser.Timeout });
            await Expect(page.Locator("#chart-throughput polyline").First).ToBeVisibleAsync(Visible);
            await Expect(page.Locator("#chart-latency")).ToHaveAttributeAsync("data-points", OneOrMore(), new() { Timeout = Browser.Timeout });
            await page.Locator("#chart-throughput").ScrollIntoViewIfNeededAsync();
            await browser.ScreenshotAsync("charts");

            // A node killed (by process id): its resource stays listed, flagged unavailable, and the node shows down
            // with its failed heartbeats.
            var victim = cluster.Nodes[2];
            output.WriteLine($"killing {victim} (pid {victim.ProcessId})");
            await victim.KillAsync();
            var resource = page.Locator("#resources tr[data-resource='queue:q']");
            await Expect(resource).ToHaveClassAsync(new Regex("unavailable"), new() { Timeout = Browser.Timeout });
            await Expect(resource).ToContainTextAsync("unavailable");
            await Expect(resource).ToContainTextAsync(victim.Address);
            var nodeRow = page.Locator($"#nodes tr[data-node='{victim.Address}']");
            await Expect(nodeRow).ToContainTextAsync("down", new() { Timeout = Browser.Timeout });
            await Expect(nodeRow).ToContainTextAsync("in a row", new() { Timeout = Browser.Timeout });
            await Expect(page.Locator("#resources tr[data-resource='kv:b']")).ToContainTextAsync("available");
            await page.Locator("#resources").ScrollIntoViewIfNeededAsync();
            await browser.ScreenshotAsync("node-killed");

            // Sign-out forgets the token; a token in the URL fragment signs in again and leaves the address bar.
            await page.ClickAsync("#signout");
            await Expect(page.Locator("#signin")).ToBeVisibleAsync(Visible);
            Assert.Null(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('cohort.dashboard.token')"));
            await browser.ScreenshotAsync("signed-out");
            await page.GotoAsync(new Uri(cluster.Master.BaseUri, "dashboard#token=" + Token).ToString());
            await Expect(page.Locator("#main")).ToBeVisibleAsync(Visible);
            await Expect(page.Locator($"#nodes tr[data-node='{cluster.Master.Address}']")).ToBeVisibleAsync(Visible);
            Assert.DoesNotContain("token", page.Url, StringComparison.Ordinal);
        }
        catch
        {
            await browser.ScreenshotAsync("failed");
            output.WriteLine(cluster.Diagnostics());
            throw;
        }
        finally
        {
            output.WriteLine($"screenshots in {browser.ScreenshotDirectory}");
        }
    }

    [Fact]
    public async Task Dashboard_WithoutToken_ShowsNoSignIn_AndBannersWhenTheNodeStopsAnswering()
    {
        await using var cluster = await TestCluster.StartAsync([["kv:a"]], output);
        await using var browser = await Browser.StartAsync(nameof(Dashboard_WithoutToken_ShowsNoSignIn_AndBannersWhenTheNodeStopsAnswering));
        var page = browser.Page;
        try
        {
            await page.GotoAsync(new Uri(cluster.Master.BaseUri, "dashboard").ToString());
            await Expect(page.Locator($"#nodes tr[data-node='{cluster.Master.Address}']")).ToContainTextAsync("alive", new() { Timeout = Browser.Timeout });
            await Expect(page.Locator("#signin")).ToBeHiddenAsync();
            await Expect(page.Locator("#signout")).ToBeHiddenAsync();
            await Expect(page.Locator("#banner")).ToBeHiddenAsync();
            await Expect(page.Locator("#updated")).Not.ToHaveTextAsync("never");
            await browser.ScreenshotAsync("no-token");

            // The node gone: the last data stays, under a banner that says the refresh fails.
            await cluster.Master.KillAsync();
            await Expect(page.Locator("#banner")).ToBeVisibleAsync(Visible);
            await Expect(page.Locator("#banner")).ToContainTextAsync("does not answer");
            await Expect(page.Locator($"#nodes tr[data-node='{cluster.Master.Address}']")).ToBeVisibleAsync(Visible);
            await browser.ScreenshotAsync("node-not-answering");
        }
        catch
        {
            await browser.ScreenshotAsync("failed");
            throw;
        }
    }

    // The participant row: resource, node, writes, vote, acknowledged — acknowledged "yes" ends the row.
    [GeneratedRegex(@"Yes\s*yes\s*$")]
    private static partial Regex AcknowledgedYes();

    [GeneratedRegex(@"^([2-9]|\d{2,})$")]
    private static partial Regex TwoOrMore();

    [GeneratedRegex(@"^[1-9]\d*$")]
    private static partial Regex OneOrMore();
}
