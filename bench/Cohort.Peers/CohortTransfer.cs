using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cohort.Peers;

/// <summary>
/// Cohort doing the transfer itself (not only its write pattern): one <c>/v1/batch</c> per transfer with a
/// <c>burn</c> of 1 from client c's account on one token resource and a <c>mint</c> of 1 to its account on the other,
/// the direction alternating — the debit is checked against the balance (a burn that would overdraw aborts), so this
/// is a read-modify-write on each node, as the Orleans and etcd transfers are. The resources (default resource:a on
/// one node, resource:b on another) are initialized and every client's accounts funded first.
/// </summary>
internal static class CohortTransfer
{
    private const long Funding = 1_000_000;

    public static async Task<int> RunAsync(int[] clientCounts, TimeSpan warmup, TimeSpan duration, TimeSpan warm, string address, string[] resources)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 2 * clientCounts.Max(Math.Abs) })
        {
            BaseAddress = new Uri(address.StartsWith("http", StringComparison.Ordinal) ? address : $"http://{address}/"),
            Timeout = TimeSpan.FromSeconds(60),
        };
        var run = 0;
        foreach (var resource in resources)
        {
            await BatchAsync(http, Ops((resource, "initialize", new JsonObject { ["symbol"] = "PEER", ["decimals"] = 0 }))).ConfigureAwait(false);
        }

        foreach (var count in clientCounts)
        {
            var n = Math.Abs(count);
            var (runWarmup, runDuration) = count < 0 ? (TimeSpan.Zero, warm) : (warmup, duration);
            var prefix = $"peers-{Environment.ProcessId}-{++run}";
            for (var c = 0; c < n; c++)
            {
                var funded = await BatchAsync(http, Ops(
                    (resources[0], "mint", new JsonObject { ["to"] = $"{prefix}:{c}", ["amount"] = Funding.ToString(System.Globalization.CultureInfo.InvariantCulture) }),
                    (resources[1], "mint", new JsonObject { ["to"] = $"{prefix}:{c}", ["amount"] = Funding.ToString(System.Globalization.CultureInfo.InvariantCulture) }))).ConfigureAwait(false);
                if (funded != "committed")
                {
                    throw new InvalidOperationException($"funding client {c} ended {funded}");
                }
            }

            var result = await ClosedLoop.RunAsync("cohort-transfer", "durable (2PC across 2 nodes, fsync on each + the coordinator's decision)", n, runWarmup, runDuration, async (c, i) =>
            {
                var (from, to) = i % 2 == 0 ? (resources[0], resources[1]) : (resources[1], resources[0]);
                var status = await BatchAsync(http, Ops(
                    (from, "burn", new JsonObject { ["from"] = $"{prefix}:{c}", ["amount"] = "1" }),
                    (to, "mint", new JsonObject { ["to"] = $"{prefix}:{c}", ["amount"] = "1" }))).ConfigureAwait(false);
                return status == "committed";
            }).ConfigureAwait(false);
            ClosedLoop.Report(count, result);
        }

        return 0;
    }

    private static JsonObject Ops(params (string Resource, string Op, JsonObject Args)[] ops)
    {
        var list = new JsonArray();
        foreach (var (resource, op, args) in ops)
        {
            list.Add(new JsonObject { ["resource"] = resource, ["op"] = new JsonObject { [op] = args } });
        }

        return new JsonObject { ["ops"] = list };
    }

    // The batch's status ("committed", "aborted", …), or http-<code> for an answer without one.
    private static async Task<string> BatchAsync(HttpClient http, JsonObject body)
    {
        using var response = await http.PostAsJsonAsync("v1/batch", body).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        if (response.IsSuccessStatusCode && JsonNode.Parse(text) is JsonObject o && o["status"] is JsonValue s)
        {
            return s.GetValue<string>();
        }

        if ((int)response.StatusCode is 400 or 404)
        {
            throw new InvalidOperationException($"/v1/batch answered {(int)response.StatusCode}: {text}");
        }

        return $"http-{(int)response.StatusCode}";
    }
}
