using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Cohort.Core;
using Cohort.Engines;
using Cohort.Engines.Kv;
using Cohort.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests.Etcd;

/// <summary>
/// Issue 21, replicated resources on real node processes with the etcd backend (a real 3-member etcd): a resource with
/// three copies survives losing its primary's node and disk, a replica lost with its disk comes back by catching up, and
/// a paused old primary acknowledges nothing once a replica took over.
/// </summary>
[Collection(EtcdCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Category", "Etcd")]
[Trait("Category", "Slow")]
public sealed class ReplicationTests(EtcdFixture fixture, ITestOutputHelper output)
{
    private const int Accounts = 6;
    private const decimal Initial = 1000m;

    [Fact]
    public async Task PrimaryLostWithItsDisk_UnderTransfers_NoAcknowledgedTransferIsLost_TotalsAreKept_AndTheResourceServesAgainWithin10s()
    {
        await using var cluster = await StartAsync();
        var (node1, node2) = (cluster.Nodes[1], cluster.Nodes[2]);
        await CreateAsync(cluster, "kv:bank", node1);
        await CreateAsync(cluster, "resource:tok", node2);
        await SeedAsync(cluster);

        // Transfers on both resources, each marked on kv:bank, from four clients.
        var acknowledged = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 4).Select(c => TransferLoopAsync(cluster, c, acknowledged, stop.Token)).ToList();
        await Wait.UntilAsync(() => Task.FromResult(acknowledged.Count >= 20), Wait.Long, "20 transfers acknowledged before the failure", () => cluster.Diagnostics(30));

        // The primary of kv:bank is lost for good: SIGKILL, and its data directory is gone.
        await node1.KillAsync();
        var lost = Stopwatch.StartNew();
        Directory.Delete(node1.DataDirectory, recursive: true);
        var before = acknowledged.Count;

        // Serving again: a transaction on kv:bank commits.
        await Wait.UntilAsync(
            async () => (await cluster.BatchAsync(Ops.Batch(Ops.On("kv:bank", Ops.Put("probe", lost.ElapsedMilliseconds))))).TxStatus == "committed",
            Wait.Long,
            "kv:bank to commit again after its primary was lost",
            () => cluster.Diagnostics(40),
            poll: TimeSpan.FromMilliseconds(100));
        var recovered = lost.Elapsed;
        cluster.Log($"kv:bank served again {recovered.TotalMilliseconds:0} ms after its primary was lost");
        Assert.True(recovered < TimeSpan.FromSeconds(10), $"kv:bank served again only after {recovered}");
        var placement = await PlacementAsync(cluster, "kv:bank");
        Assert.NotEqual(node1.Address, placement["node"]!.GetValue<string>());

        await Wait.UntilAsync(() => Task.FromResult(acknowledged.Count >= before + 10), Wait.Long, "10 more transfers acknowledged after the failover", () => cluster.Diagnostics(30));
        await stop.CancelAsync();
        await Task.WhenAll(clients);
        await cluster.WaitSettledAsync();

        await AssertConsistentAsync(cluster, acknowledged);
    }

    [Fact]
    public async Task PrimaryRestartedAtOnceWithAnEmptyDisk_NeverServesTheEmptyCopy_AReplicaTakesOver_AndNothingIsLost()
    {
        await using var cluster = await StartAsync();
        var node1 = cluster.Nodes[1];
        await CreateAsync(cluster, "kv:bank", node1);
        await SeedAsync(cluster, token: false);
        for (var i = 0; i < 30; i++)
        {
            await cluster.BatchOkAsync(Ops.On("kv:bank", Ops.Put($"k{i}", i)));
        }

        // Lost disk, back at once: whether or not the leader noticed the death, the node must not open an empty copy.
        await node1.KillAsync();
        Directory.Delete(node1.DataDirectory, recursive: true);
        await node1.StartAsync();
        await Wait.UntilAsync(
            async () => (await cluster.BatchAsync(Ops.Batch(Ops.On("kv:bank", Ops.Put("probe", 1))))).TxStatus == "committed",
            Wait.Long,
            "kv:bank to commit again",
            () => cluster.Diagnostics(40));
        for (var i = 0; i < 30; i++)
        {
            Assert.Equal(i, (int)Ops.Decimal(await cluster.ReadOneAsync("kv:bank", Ops.Get($"k{i}"))));
        }

        var placement = await PlacementAsync(cluster, "kv:bank");
        Assert.NotEqual(node1.Address, placement["node"]!.GetValue<string>());

        // And the emptied node comes back as a replica by catching up.
        await Wait.UntilAsync(
            async () => (await PlacementAsync(cluster, "kv:bank"))["replicas"]!.AsArray().Any(r => r!.GetValue<string>() == node1.Address),
            Wait.Long,
            "the emptied node caught up and added back as a replica",
            () => cluster.Diagnostics(40));
    }

    [Fact]
    public async Task ReplicaLostWithItsDisk_ThePrimaryGoesOn_AndTheReplicaComesBackEmpty_CatchesUp_AndHoldsWhatThePrimaryHolds()
    {
        await using var cluster = await StartAsync();
        var (node1, node2) = (cluster.Nodes[1], cluster.Nodes[2]);
        var created = await CreateAsync(cluster, "kv:bank", node1);
        Assert.Contains(node2.Address, created["replicas"]!.AsArray().Select(r => r!.GetValue<string>()));
        await SeedAsync(cluster, token: false);
        for (var i = 0; i < 20; i++)
        {
            await cluster.BatchOkAsync(Ops.On("kv:bank", Ops.Put($"k{i}", i)));
        }

        await node2.KillAsync();
        Directory.Delete(node2.DataDirectory, recursive: true);

        // The primary takes it out and goes on committing.
        for (var i = 20; i < 60; i++)
        {
            await Wait.UntilAsync(
                async () => (await cluster.BatchAsync(Ops.Batch(Ops.On("kv:bank", Ops.Put($"k{i}", i))))).TxStatus == "committed",
                Wait.Long,
                $"k{i} committed with a replica down",
                () => cluster.Diagnostics(30));
        }

        var without = await PlacementAsync(cluster, "kv:bank");
        Assert.DoesNotContain(node2.Address, without["replicas"]!.AsArray().Select(r => r!.GetValue<string>()));

        // Back, empty: caught up and added again.
        await node2.StartAsync();
        await Wait.UntilAsync(
            async () => (await PlacementAsync(cluster, "kv:bank"))["replicas"]!.AsArray().Any(r => r!.GetValue<string>() == node2.Address),
            Wait.Long,
            "the returned replica added back to kv:bank's configuration",
            () => cluster.Diagnostics(40));
        for (var i = 60; i < 80; i++)
        {
            await cluster.BatchOkAsync(Ops.On("kv:bank", Ops.Put($"k{i}", i)));
        }

        // Its copy equals the primary's: read every key on the primary, then open the replica's copy offline.
        var keys = Enumerable.Range(0, 80).Select(i => $"k{i}").Concat(Enumerable.Range(0, Accounts).Select(Account)).ToList();
        var onPrimary = new Dictionary<string, string>();
        foreach (var key in keys)
        {
            onPrimary[key] = Ops.Text(await cluster.ReadOneAsync("kv:bank", Ops.Get(key)));
        }

        await node2.KillAsync();
        var copy = Path.Combine(Path.GetTempPath(), "cohort-replica-" + Guid.NewGuid().ToString("N")[..8]);
        CopyDirectory(Path.Combine(node2.DataDirectory, "replicated", "kv_bank"), copy);
        try
        {
            await using var engine = KvEngine.Open("kv:bank", new EngineOptions { DataDirectory = copy, MaintenanceInterval = Timeout.InfiniteTimeSpan });
            foreach (var key in keys)
            {
                var value = await engine.ReadAsync(engine.Clock.Now(), Operation.Create("get", ("key", key)), default);
                Assert.Equal(onPrimary[key], JsonNode.Parse(ValueJson.Serialize(value))?.ToJsonString() ?? "null");
            }
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public async Task ReplicatedFlag_GivenToEveryNode_CreatesTheResourceOnce_WithItsCopies_AndItServes()
    {
        // Every node names it (as a deployment's shared configuration would): the first to reach the leader creates it.
        await using var cluster = await TestCluster.StartAsync(
            [[], [], []],
            output,
            heartbeat: "200ms",
            misses: 5,
            nodeArguments: ["--etcd", fixture.Cluster.Endpoints, "--etcd-prefix", "/cohort-repl/" + Guid.NewGuid().ToString("N")[..8], "--lease-ttl", "2s", "--replicated", "kv:configured=3"]);
        await Wait.UntilAsync(
            async () => (await cluster.Api.GetAsync(cluster.Master, "v1/resources")).Body["resources"]!.AsArray().Any(r => r!["name"]!.GetValue<string>() == "kv:configured"),
            Wait.Long,
            "the configured replicated resource",
            () => cluster.Diagnostics(30));

        var placement = await PlacementAsync(cluster, "kv:configured");
        Assert.Equal(2, placement["replicas"]!.AsArray().Count);
        Assert.Equal(1, placement["version"]!.GetValue<long>());
        await cluster.BatchOkAsync(Ops.On("kv:configured", Ops.Put("k", 1)));
        var read = await cluster.Api.PostAsync(cluster.Nodes[2], "v1/read", Ops.Batch(Ops.On("kv:configured", Ops.Get("k"))));
        Assert.Equal("1", read.Body["results"]![0]!.ToJsonString());
        Assert.Single((await cluster.Api.GetAsync(cluster.Master, "v1/resources")).Body["resources"]!.AsArray(), r => r!["name"]!.GetValue<string>() == "kv:configured");
        Assert.Contains(cluster.Nodes, n => n.Printed("configured replicated resource kv:configured (3 copies): created"));
    }

    [Fact]
    public async Task PausedPrimary_IsReplacedWhileStopped_AndOnceResumedAcknowledgesNothing_AndStepsDown()
    {
        await using var cluster = await StartAsync();
        var (node1, node2) = (cluster.Nodes[1], cluster.Nodes[2]);
        await CreateAsync(cluster, "kv:bank", node1);
        await SeedAsync(cluster, token: false);
        var acknowledged = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 3).Select(c => TransferLoopAsync(cluster, c, acknowledged, stop.Token, token: false)).ToList();
        await Wait.UntilAsync(() => Task.FromResult(acknowledged.Count >= 10), Wait.Long, "transfers before the pause", () => cluster.Diagnostics(30));

        await node1.SignalAsync(pause: true);
        try
        {
            await Wait.UntilAsync(
                async () => (await PlacementAsync(cluster, "kv:bank"))["node"]!.GetValue<string>() != node1.Address,
                Wait.Long,
                "a replica promoted while the primary is stopped",
                () => cluster.Diagnostics(30));
            var before = acknowledged.Count;
            await Wait.UntilAsync(() => Task.FromResult(acknowledged.Count >= before + 10), Wait.Long, "transfers on the new primary", () => cluster.Diagnostics(30));
            await cluster.BatchOkAsync(Ops.On("kv:bank", Ops.Put("written-while-paused", 1)));
        }
        finally
        {
            await node1.SignalAsync(pause: false);
        }

        // Resumed, the old primary may still believe it leads, but its read lease ran out while it was stopped: a
        // snapshot read through it is refused (transient) or served by the new primary, never from its stale copy.
        var reads = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            var answer = await cluster.Api.PostAsync(node1, "v1/read", Ops.Batch(Ops.On("kv:bank", Ops.Get("written-while-paused"))));
            var result = answer.Status == 200 ? answer.Body["results"]![0]?.ToJsonString() ?? "null" : $"{answer.Status} {answer.Body["code"]}";
            reads.Add(result);
            Assert.True(result is "1" || answer.Status is 503 or 409, $"read through the resumed old primary answered {result}: {answer}");
        }

        output.WriteLine($"reads through the resumed old primary: {string.Join(", ", reads)}");

        // Resumed, it learns it was superseded (a replica refuses its stale version, or the configuration says so).
        await Wait.UntilAsync(() => Task.FromResult(node1.Printed("stepped down as primary")), Wait.Long, "the old primary stepped down", () => node1.Tail(40));
        var after = acknowledged.Count;
        await Wait.UntilAsync(() => Task.FromResult(acknowledged.Count >= after + 10), Wait.Long, "transfers after the old primary resumed", () => cluster.Diagnostics(30));
        await stop.CancelAsync();
        await Task.WhenAll(clients);
        await cluster.WaitSettledAsync();
        await AssertConsistentAsync(cluster, acknowledged, token: false);
    }

    [Fact]
    public async Task PrimaryPartitionedFromEveryNode_AReplicaTakesOver_OnePrimaryServes_AndHealedTheOldOneStepsDown()
    {
        // node1 reaches etcd but every link between it and the other nodes (both ways) goes through a proxy of the test.
        var proxies = new List<TcpProxy>();
        try
        {
            await using var cluster = await TestCluster.StartAsync(
                [[], [], []],
                output,
                heartbeat: "200ms",
                misses: 5,
                nodeArguments: ["--etcd", fixture.Cluster.Endpoints, "--etcd-prefix", "/cohort-repl/" + Guid.NewGuid().ToString("N")[..8], "--lease-ttl", "2s"],
                argumentsOf: (addresses, i) => ["--peer-route", i == 1
                    ? $"{RouteThrough(proxies, addresses[0])},{RouteThrough(proxies, addresses[2])}"
                    : RouteThrough(proxies, addresses[1])]);
            var node1 = cluster.Nodes[1];
            await CreateAsync(cluster, "kv:bank", node1);
            await SeedAsync(cluster, token: false);
            var acknowledged = new ConcurrentBag<string>();
            using var stop = new CancellationTokenSource();
            var clients = Enumerable.Range(0, 3).Select(c => TransferLoopAsync(cluster, c, acknowledged, stop.Token, token: false)).ToList();
            await Wait.UntilAsync(() => Task.FromResult(acknowledged.Count >= 10), Wait.Long, "transfers before the partition", () => cluster.Diagnostics(30));

            foreach (var proxy in proxies)
            {
                proxy.Cut();
            }

            try
            {
                await Wait.UntilAsync(
                    async () => (await PlacementAsync(cluster, "kv:bank"))["node"]!.GetValue<string>() != node1.Address,
                    Wait.Long,
                    "a replica promoted while the primary is cut off",
                    () => cluster.Diagnostics(30));

                // The primary cut off learns from etcd that it was replaced and steps down; the new one serves.
                await Wait.UntilAsync(() => Task.FromResult(node1.Printed("stepped down as primary")), Wait.Long, "the cut-off primary stepped down", () => node1.Tail(40));
                var during = acknowledged.Count;
                await Wait.UntilAsync(() => Task.FromResult(acknowledged.Count >= during + 10), Wait.Long, "transfers on the new primary during the partition", () => cluster.Diagnostics(30));
            }
            finally
            {
                foreach (var proxy in proxies)
                {
                    proxy.Heal();
                }
            }

            // Healed: one primary, and node1 caught up and back in as a replica.
            await Wait.UntilAsync(
                async () => (await PlacementAsync(cluster, "kv:bank"))["replicas"]!.AsArray().Any(r => r!.GetValue<string>() == node1.Address),
                Wait.Long,
                "the old primary caught up and added back as a replica",
                () => cluster.Diagnostics(40));
            var healed = acknowledged.Count;
            await Wait.UntilAsync(() => Task.FromResult(acknowledged.Count >= healed + 10), Wait.Long, "transfers after the heal", () => cluster.Diagnostics(30));
            await stop.CancelAsync();
            await Task.WhenAll(clients);
            await cluster.WaitSettledAsync();
            await AssertConsistentAsync(cluster, acknowledged, token: false);
        }
        finally
        {
            foreach (var proxy in proxies)
            {
                await proxy.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task ReplicatedSql_PrimaryLostWithItsDisk_EveryTableKeepsItsRowsAndIndexes()
    {
        await using var cluster = await StartAsync();
        var node1 = cluster.Nodes[1];
        await CreateAsync(cluster, "sql:ledger", node1);
        await cluster.BatchOkAsync(Ops.On("sql:ledger", Ops.Sql("CREATE TABLE entries (id BIGINT PRIMARY KEY, account TEXT NOT NULL, amount BIGINT NOT NULL)")));
        await cluster.BatchOkAsync(Ops.On("sql:ledger", Ops.Sql("CREATE INDEX entries_account ON entries (account)")));
        for (var i = 0; i < 40; i++)
        {
            await cluster.BatchOkAsync(Ops.On("sql:ledger", Ops.Sql("INSERT INTO entries (id, account, amount) VALUES ($1, $2, $3)", i, $"acct{i % 4}", i * 10)));
        }

        await node1.KillAsync();
        Directory.Delete(node1.DataDirectory, recursive: true);
        JsonNode? rows = null;
        await Wait.UntilAsync(
            async () =>
            {
                var answer = await cluster.BatchAsync(Ops.Batch(Ops.On("sql:ledger", Ops.Sql("SELECT id FROM entries WHERE account = $1 ORDER BY id", "acct2"))));
                rows = answer.TxStatus == "committed" ? answer.Body["results"]![0] : null;
                return rows is not null;
            },
            Wait.Long,
            "sql:ledger served by a promoted replica",
            () => cluster.Diagnostics(40));
        Assert.Equal(Enumerable.Range(0, 40).Where(i => i % 4 == 2).Select(i => (long)i), rows!["rows"]!.AsArray().Select(r => r![0]!.GetValue<long>()));
        var plan = (await cluster.BatchOkAsync(Ops.On("sql:ledger", Ops.Sql("EXPLAIN SELECT id FROM entries WHERE account = $1", "acct2"))))[0]!.ToJsonString();
        Assert.Contains("entries_account", plan, StringComparison.Ordinal);
        var sum = (await cluster.BatchOkAsync(Ops.On("sql:ledger", Ops.Sql("SELECT SUM(amount) FROM entries"))))[0]!["rows"]![0]![0]!.GetValue<long>();
        Assert.Equal(Enumerable.Range(0, 40).Sum(i => i * 10L), sum);
    }

    private static string Account(int i) => $"a{i}";

    // A proxy of the test's to node, and the route that sends a node's calls to node through it.
    private static string RouteThrough(List<TcpProxy> proxies, string node)
    {
        var proxy = TcpProxy.To("http://" + node);
        proxies.Add(proxy);
        return $"{node}={proxy.Address}";
    }

    private Task<TestCluster> StartAsync() => TestCluster.StartAsync(
        [[], [], []],
        output,
        heartbeat: "200ms",
        misses: 5,
        nodeArguments: ["--etcd", fixture.Cluster.Endpoints, "--etcd-prefix", "/cohort-repl/" + Guid.NewGuid().ToString("N")[..8], "--lease-ttl", "2s"]);

    private static async Task<JsonNode> CreateAsync(TestCluster cluster, string name, NodeProcess primary)
    {
        var answer = await cluster.Api.PostAsync(cluster.Master, "v1/resources", new JsonObject { ["name"] = name, ["replicas"] = 3, ["node"] = primary.Address });
        Assert.True(answer.Status == 201, $"create {name}: {answer}");
        Assert.Equal(primary.Address, answer.Body["node"]!.GetValue<string>());
        Assert.Equal(2, answer.Body["replicas"]!.AsArray().Count);
        return answer.Body;
    }

    private static async Task<JsonNode> PlacementAsync(TestCluster cluster, string name)
    {
        var answer = await cluster.Api.GetAsync(cluster.Master, "v1/resources");
        Assert.True(answer.Status == 200, answer.ToString());
        return answer.Body["resources"]!.AsArray().First(r => r!["name"]!.GetValue<string>() == name)!;
    }

    private static async Task SeedAsync(TestCluster cluster, bool token = true)
    {
        var ops = Enumerable.Range(0, Accounts).Select(i => Ops.On("kv:bank", Ops.Put(Account(i), Initial))).ToList();
        if (token)
        {
            ops.Add(Ops.On("resource:tok", Ops.Initialize("TOK", 2)));
            ops.AddRange(Enumerable.Range(0, Accounts).Select(i => Ops.On("resource:tok", Ops.Mint(Account(i), Initial))));
        }

        await cluster.BatchOkAsync([.. ops]);
    }

    // Transfers until stopped: a KV transfer (read both, write both) and, with token, a token transfer, plus a marker
    // t:<id> on kv:bank; a transfer whose commit the client saw acknowledged goes into acknowledged.
    private static async Task TransferLoopAsync(TestCluster cluster, int client, ConcurrentBag<string> acknowledged, CancellationToken stop, bool token = true)
    {
        var random = new Random(client);
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var id = $"{client}-{n}";
            var from = random.Next(Accounts);
            var to = (from + 1 + random.Next(Accounts - 1)) % Accounts;
            var amount = random.Next(1, 20);
            try
            {
                var tx = await cluster.BeginAsync(timeoutMs: 5_000);
                var a = await cluster.ApplyAsync(tx, "kv:bank", Ops.Get(Account(from)));
                var b = await cluster.ApplyAsync(tx, "kv:bank", Ops.Get(Account(to)));
                if (a.Status != 200 || b.Status != 200)
                {
                    await cluster.AbortAsync(tx);
                    continue;
                }

                var ok = (await cluster.ApplyAsync(tx, "kv:bank", Ops.Put(Account(from), Ops.Decimal(a.Body["result"]) - amount))).Status == 200
                    && (await cluster.ApplyAsync(tx, "kv:bank", Ops.Put(Account(to), Ops.Decimal(b.Body["result"]) + amount))).Status == 200
                    && (await cluster.ApplyAsync(tx, "kv:bank", Ops.Put("t:" + id, 1))).Status == 200
                    && (!token || (await cluster.ApplyAsync(tx, "resource:tok", Ops.Transfer(Account(from), Account(to), amount))).Status == 200);
                if (!ok)
                {
                    await cluster.AbortAsync(tx);
                    continue;
                }

                var commit = await cluster.CommitAsync(tx);
                if (commit.Status == 200 && commit.TxStatus == "committed")
                {
                    acknowledged.Add(id);
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or Xunit.Sdk.XunitException)
            {
                // A node down mid-request, or no leader for a moment: the transfer's fate is read from its marker.
            }
        }
    }

    private static async Task AssertConsistentAsync(TestCluster cluster, IEnumerable<string> acknowledged, bool token = true)
    {
        var kv = 0m;
        var tok = 0m;
        for (var i = 0; i < Accounts; i++)
        {
            kv += Ops.Decimal(await cluster.ReadOneAsync("kv:bank", Ops.Get(Account(i))));
            if (token)
            {
                tok += Ops.Decimal(await cluster.ReadOneAsync("resource:tok", Ops.Balance(Account(i))));
            }
        }

        Assert.Equal(Accounts * Initial, kv);
        if (token)
        {
            Assert.Equal(Accounts * Initial, tok);
        }

        var missing = new List<string>();
        foreach (var id in acknowledged)
        {
            if (await cluster.ReadOneAsync("kv:bank", Ops.Get("t:" + id)) is null)
            {
                missing.Add(id);
            }
        }

        Assert.True(missing.Count == 0, $"acknowledged transfers lost: {string.Join(", ", missing)}");
        cluster.Log($"{acknowledged.Count()} acknowledged transfers, all present; totals kept ({kv.ToString(CultureInfo.InvariantCulture)})");
    }

    private static void CopyDirectory(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(destination, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
