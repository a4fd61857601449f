using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests.Harness;

/// <summary>
/// A cluster of real node processes on 127.0.0.1: node 0 is the master, the others join it. Everything lives in one
/// temp directory (data directories and a log file per node) deleted on dispose; every process is killed by its id.
/// </summary>
internal sealed class TestCluster : IAsyncDisposable
{
    private readonly string _root;
    private readonly List<NodeProcess> _nodes;
    private readonly ITestOutputHelper? _output;

    private TestCluster(string root, IReadOnlyList<NodeProcess> nodes, string? authToken, ITestOutputHelper? output, string? tlsCa = null)
    {
        _root = root;
        _nodes = [.. nodes];
        AuthToken = authToken;
        Api = new ApiClient(authToken, tlsCa: tlsCa);
        _output = output;
    }

    /// <summary>
    /// Failure detection for tests that restart the master and expect it back as master: 10 intervals (3 s at
    /// 300 ms) outlast a restart, so nobody else takes over meanwhile. Election tests pass their own.
    /// </summary>
    public const int StableMisses = 10;

    /// <summary>All nodes; [0] is the master.</summary>
    public IReadOnlyList<NodeProcess> Nodes => _nodes;

    /// <summary>
    /// A further node (not started) that names only <paramref name="joinVia"/> in <c>--nodes</c>, as the seed's "add a
    /// node" steps do, and otherwise the arguments <paramref name="joinVia"/> was started with (its backend, say); it is
    /// killed with the cluster.
    /// </summary>
    public NodeProcess AddNode(string name, string[] resources, NodeProcess joinVia)
    {
        var port = FreePorts.Take(1)[0];
        var node = new NodeProcess(name, port, false, joinVia.Address, [joinVia.Address], resources, _root, AuthToken, joinVia.Heartbeat) { Misses = joinVia.Misses, ExtraArguments = joinVia.ExtraArguments };
        _nodes.Add(node);
        return node;
    }

    public NodeProcess Master => Nodes[0];

    public string? AuthToken { get; }

    public ApiClient Api { get; }

    /// <summary>
    /// Starts a master with <paramref name="resources"/>[0] and one node for each further entry, each armed with
    /// <paramref name="crashAt"/>[index] when given, and waits until the master sees every node alive with its resources.
    /// Every node gets <paramref name="nodeArguments"/>, then <paramref name="argumentsOf"/>(every node's address, its
    /// index) when given.
    /// </summary>
    public static async Task<TestCluster> StartAsync(
        IReadOnlyList<string[]> resources,
        ITestOutputHelper? output = null,
        string? authToken = null,
        IReadOnlyDictionary<int, string>? crashAt = null,
        string heartbeat = "300ms",
        int misses = StableMisses,
        IReadOnlyList<string?>? dsns = null,
        IReadOnlyList<string>? nodeArguments = null,
        Func<IReadOnlyList<string>, int, IReadOnlyList<string>>? argumentsOf = null,
        string? tlsCa = null)
    {
        var root = Path.Combine(Path.GetTempPath(), "cohort-it-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);

        // The master gets the lowest address: the election rule picks the lowest alive address when no master is
        // alive yet, so a node that answers before the master's short startup grace ends would otherwise win the
        // first election whenever the OS handed it a lower port (seen in CI: the master never led).
        var ports = FreePorts.Take(resources.Count).Order().ToArray();
        var addresses = ports.Select(p => $"127.0.0.1:{p.ToString(CultureInfo.InvariantCulture)}").ToArray();
        var nodes = new List<NodeProcess>();
        for (var i = 0; i < resources.Count; i++)
        {
            nodes.Add(new NodeProcess(i == 0 ? "master" : $"node{i}", ports[i], i == 0, addresses[0], addresses, resources[i], root, authToken, heartbeat) { Misses = misses, Dsn = dsns?.ElementAtOrDefault(i), ExtraArguments = [.. nodeArguments ?? [], .. argumentsOf?.Invoke(addresses, i) ?? []], TlsCa = tlsCa });
        }

        var cluster = new TestCluster(root, nodes, authToken, output, tlsCa);
        try
        {
            // The master first, so the others join at once; then the rest in parallel.
            await nodes[0].StartAsync(crashAt?.GetValueOrDefault(0));
            await Task.WhenAll(nodes.Skip(1).Select((n, i) => n.StartAsync(crashAt?.GetValueOrDefault(i + 1))));
            await cluster.WaitAllAliveAsync();

            // And the master confirmed as leader (it must have heard from every member first), so that the first
            // transaction of a test is not refused with no_leader.
            await Wait.UntilAsync(
                async () => (await cluster.Api.GetAsync(nodes[0], "role")).Body["leader"]?.GetValue<bool>() == true,
                Wait.Long,
                $"{nodes[0]} confirmed as the leader");
            output?.WriteLine($"cluster up in {root}: {string.Join(", ", nodes)}");
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Starts the seed's way: every node with <c>--nodes</c> naming all of them, all at once, then waits until every
    /// node agrees on one master. <see cref="Master"/> is then only node [0], not necessarily the master: use
    /// <see cref="RolesAsync"/>.
    /// </summary>
    public static async Task<TestCluster> StartPeersAsync(IReadOnlyList<string[]> resources, ITestOutputHelper? output, string heartbeat, int misses)
    {
        var root = Path.Combine(Path.GetTempPath(), "cohort-it-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var ports = FreePorts.Take(resources.Count);
        var addresses = ports.Select(p => $"127.0.0.1:{p.ToString(CultureInfo.InvariantCulture)}").ToArray();
        var nodes = resources.Select((r, i) => new NodeProcess($"node{i}", ports[i], false, addresses[0], addresses, r, root, null, heartbeat) { Misses = misses, AllPeers = true }).ToList();
        var cluster = new TestCluster(root, nodes, null, output);
        try
        {
            await Task.WhenAll(nodes.Select(n => n.StartAsync()));
            await cluster.WaitAgreedAsync(nodes, Wait.Long);
            output?.WriteLine($"peers up in {root}: {string.Join(", ", nodes)}");
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The first of <paramref name="among"/> (every node by default) that says it leads, asking all at once with a second
    /// each (a paused or dead node answers nothing); null when none does.
    /// </summary>
    public async Task<NodeProcess?> LeaderAsync(IEnumerable<NodeProcess>? among = null)
    {
        var roles = await Task.WhenAll((among ?? Nodes).Select(async node =>
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try
            {
                return (await Api.GetAsync(node, "role", timeout.Token)).Body["leader"]?.GetValue<bool>() == true ? node : null;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException)
            {
                return null;
            }
        }));
        return roles.FirstOrDefault(n => n is not null);
    }

    /// <summary>Each given node's <c>/role</c> answer (null for a node that does not answer).</summary>
    public async Task<List<(NodeProcess Node, string? Role, string? Master, long Epoch)>> RolesAsync(IEnumerable<NodeProcess> nodes)
    {
        var answers = new List<(NodeProcess, string?, string?, long)>();
        foreach (var node in nodes)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                var answer = await Api.GetAsync(node, "role", timeout.Token);
                answers.Add(answer.IsSuccess
                    ? (node, answer.Body["role"]?.GetValue<string>(), answer.Body["master"]?.GetValue<string>(), answer.Body["epoch"]!.GetValue<long>())
                    : (node, null, null, 0));
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                answers.Add((node, null, null, 0));
            }
        }

        return answers;
    }

    /// <summary>Waits until all <paramref name="nodes"/> name the same master, it is one of them and says MASTER; returns it.</summary>
    public async Task<NodeProcess> WaitAgreedAsync(IReadOnlyList<NodeProcess> nodes, TimeSpan timeout, TimeSpan? poll = null)
    {
        NodeProcess? master = null;
        var last = "(no answer)";
        await Wait.UntilAsync(
            async () =>
            {
                var roles = await RolesAsync(nodes);
                last = string.Join("; ", roles.Select(r => $"{r.Node.Name}: {r.Role ?? "-"} master={r.Master ?? "-"} epoch={r.Epoch}"));
                var named = roles.Select(r => r.Master).Distinct().ToList();
                master = named is [{ } only] ? nodes.FirstOrDefault(n => n.Address == only) : null;
                return master is not null && roles.All(r => r.Epoch == roles[0].Epoch)
                    && roles.Single(r => r.Node == master).Role == "MASTER";
            },
            timeout,
            "every node agreeing on one master",
            () => last,
            poll);
        return master!;
    }

    /// <summary>The node hosting <paramref name="resource"/> (by the resources it was started with).</summary>
    public NodeProcess HomeOf(string resource) =>
        Nodes.SingleOrDefault(n => n.Resources.Contains(resource)) ?? throw new ArgumentException($"No node hosts {resource}.", nameof(resource));

    /// <summary>The cluster-wide name of a node's default SQL shard.</summary>
    public static string DefaultShard(NodeProcess node) => $"sql:default@{node.Address}";

    /// <summary>Waits until the master lists every node alive, hosting the resources it was started with.</summary>
    public async Task WaitAllAliveAsync(TimeSpan? timeout = null)
    {
        string last = "(no answer)";
        await Wait.UntilAsync(
            async () =>
            {
                var answer = await Api.GetAsync(Master, "cluster/nodes");
                last = answer.Text;
                if (!answer.IsSuccess || answer.Body["nodes"] is not JsonArray members)
                {
                    return false;
                }

                return Nodes.All(n => members.OfType<JsonObject>().Any(m =>
                    m["address"]?.GetValue<string>() == n.Address
                    && m["alive"]?.GetValue<bool>() == true
                    && n.Resources.All(r => m["resources"] is JsonArray rs && rs.Any(x => x?.GetValue<string>() == r))));
            },
            timeout ?? Wait.Long,
            "every node alive with its resources on the master",
            () => last);
    }

    public async Task<string> BeginAsync(int timeoutMs = 30_000, NodeProcess? via = null)
    {
        var answer = await Api.PostAsync(via ?? Master, "v1/tx", new JsonObject { ["timeout_ms"] = timeoutMs, ["label"] = "integration" });
        Assert.True(answer.Status == 201, $"begin: {answer}");
        return answer.Body["tx_id"]!.GetValue<string>();
    }

    public Task<ApiResponse> ApplyAsync(string txId, string resource, JsonObject op, NodeProcess? via = null) =>
        Api.PostAsync(via ?? Master, $"v1/tx/{txId}/ops", new JsonObject { ["resource"] = resource, ["op"] = op });

    /// <summary>Applies an operation that must succeed and returns its result.</summary>
    public async Task<JsonNode?> ApplyOkAsync(string txId, string resource, JsonObject op, NodeProcess? via = null)
    {
        var answer = await ApplyAsync(txId, resource, op, via);
        Assert.True(answer.Status == 200, $"{resource} {op.ToJsonString()}: {answer}");
        return answer.Body["result"];
    }

    public Task<ApiResponse> CommitAsync(string txId, NodeProcess? via = null) => Api.PostAsync(via ?? Master, $"v1/tx/{txId}/commit", null);

    public Task<ApiResponse> AbortAsync(string txId, NodeProcess? via = null) => Api.PostAsync(via ?? Master, $"v1/tx/{txId}/abort", null);

    public Task<ApiResponse> BatchAsync(JsonObject body, NodeProcess? via = null) => Api.PostAsync(via ?? Master, "v1/batch", body);

    /// <summary>
    /// Runs a batch that must commit; returns its results. An answer saying the batch never ran and may be retried (no
    /// master confirmed for a moment, as on a loaded machine with short leases) is retried for up to 10 s, as a client would.
    /// </summary>
    public async Task<JsonArray> BatchOkAsync(params JsonObject[] ops)
    {
        var answer = await BatchAsync(Ops.Batch(ops));
        for (var retries = 0; retries < 50 && answer.Status == 503 && answer.Body["never_ran"]?.GetValue<bool>() == true; retries++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200));
            answer = await BatchAsync(Ops.Batch(ops));
        }

        Assert.True(answer.Status == 200 && answer.TxStatus == "committed", $"batch: {answer}");
        return answer.Body["results"]!.AsArray();
    }

    /// <summary>Snapshot reads through <c>/v1/read</c> on <paramref name="via"/> (the master by default); returns the results and the snapshot.</summary>
    public async Task<(JsonArray Results, long AsOf)> ReadAsync(NodeProcess? via, params JsonObject[] ops)
    {
        var answer = await Api.PostAsync(via ?? Master, "v1/read", Ops.Batch(ops));
        Assert.True(answer.Status == 200, $"read: {answer}");
        return (answer.Body["results"]!.AsArray(), answer.Body["as_of"]!.GetValue<long>());
    }

    /// <summary>One read of <paramref name="resource"/> (the master routes it to its home).</summary>
    public async Task<JsonNode?> ReadOneAsync(string resource, JsonObject op) => (await ReadAsync(null, Ops.On(resource, op))).Results[0];

    /// <summary>A read straight on the home node's engine (<c>/internal/read</c>) at snapshot <paramref name="asOf"/>.</summary>
    public async Task<JsonNode?> ReadOnNodeAsync(NodeProcess node, string resource, JsonObject op, long asOf)
    {
        var answer = await Api.PostAsync(node, "internal/read", new JsonObject { ["resource"] = resource, ["op"] = op, ["as_of"] = asOf });
        Assert.True(answer.Status == 200, $"read on {node}: {answer}");
        return answer.Body["result"];
    }

    /// <summary>The transactions the master lists in <paramref name="state"/>.</summary>
    public async Task<JsonArray> ListAsync(string state) =>
        await TryListAsync(state) ?? throw new Xunit.Sdk.XunitException($"list {state}: no master is confirmed (503 no_leader)");

    // Null while no master is confirmed (503 no_leader: an election or a restarted master's first exchange; retry).
    private async Task<JsonArray?> TryListAsync(string state)
    {
        var answer = await Api.GetAsync(Master, $"v1/tx?state={state}");
        if (answer.Status == 503 && answer.Code == "no_leader")
        {
            return null;
        }

        Assert.True(answer.Status == 200, $"list {state}: {answer}");
        return answer.Body["transactions"]!.AsArray();
    }

    /// <summary>Unfinished engine transactions (active or prepared) per resource on <paramref name="node"/>, from its /metrics.</summary>
    public async Task<Dictionary<string, long>> EngineTransactionsAsync(NodeProcess node)
    {
        var answer = await Api.GetAsync(node, "metrics");
        if (answer.Status != 200)
        {
            throw new HttpRequestException($"metrics of {node}: {answer}");
        }

        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        const string Prefix = "cohort_engine_active_transactions{resource=\"";
        foreach (var line in answer.Text.Split('\n'))
        {
            if (line.StartsWith(Prefix, StringComparison.Ordinal))
            {
                var end = line.IndexOf('"', Prefix.Length);
                counts[line[Prefix.Length..end]] = long.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return counts;
    }

    /// <summary>
    /// Waits until nothing is unsettled anywhere: the master lists nothing in-doubt, preparing or committing, and no
    /// node's engines hold an unfinished (active or prepared) transaction.
    /// </summary>
    public async Task WaitSettledAsync(TimeSpan? timeout = null)
    {
        var state = new StringBuilder();
        await Wait.UntilAsync(
            async () =>
            {
                state.Clear();
                var settled = true;
                foreach (var s in new[] { "in-doubt", "preparing", "committing" })
                {
                    var list = await TryListAsync(s);
                    if (list is null)
                    {
                        settled = false;
                        state.Append(CultureInfo.InvariantCulture, $"{s}: no master confirmed yet; ");
                    }
                    else if (list.Count > 0)
                    {
                        settled = false;
                        state.Append(CultureInfo.InvariantCulture, $"{s}: {list.ToJsonString()}; ");
                    }
                }

                // A node killed for good has nothing to settle.
                foreach (var node in Nodes.Where(n => n.IsRunning))
                {
                    var busy = (await EngineTransactionsAsync(node)).Where(kv => kv.Value > 0).ToList();
                    if (busy.Count > 0)
                    {
                        settled = false;
                        state.Append(CultureInfo.InvariantCulture, $"{node.Name}: {string.Join(", ", busy.Select(kv => $"{kv.Key}={kv.Value}"))}; ");
                    }
                }

                return settled;
            },
            timeout ?? Wait.Long,
            "no transaction in-doubt, preparing or committing on the master and none unfinished on any node",
            () => state.ToString());
    }

    /// <summary>The tail of every node's output.</summary>
    public string Diagnostics(int lines = 40) =>
        string.Join("\n", Nodes.Select(n => $"--- {n} (pid {n.ProcessId?.ToString(CultureInfo.InvariantCulture) ?? "down"}) ---\n{n.Tail(lines)}"));

    public void Log(string line) => _output?.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Task.WhenAll(Nodes.Select(n => n.DisposeAsync().AsTask()));
        }
        finally
        {
            Api.Dispose();
            if (Environment.GetEnvironmentVariable("COHORT_IT_KEEP") is null)
            {
                try
                {
                    Directory.Delete(_root, recursive: true);
                }
                catch (IOException)
                {
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        }
    }
}
