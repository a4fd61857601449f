using System.Text.Json.Nodes;
using Cohort.IntegrationTests.Harness;

namespace Cohort.IntegrationTests;

/// <summary>
/// One cluster shared by the bad-input tests, started with a bearer token: the master hosts <c>kv:a</c> and its SQL
/// shard (table <c>t</c>), node1 hosts <c>kv:b</c> and <c>resource:points</c>. Seeded once; every test checks afterwards
/// that no node went down and none of the seeded data changed.
/// </summary>
public sealed class BadInputFixture : IAsyncLifetime
{
    public const string Token = "it-secret-token";
    public const string A = "kv:a";
    public const string B = "kv:b";
    public const string Points = "resource:points";

    internal TestCluster Cluster { get; private set; } = null!;

    internal string Sql => TestCluster.DefaultShard(Cluster.Master);

    public async Task InitializeAsync()
    {
        Cluster = await TestCluster.StartAsync([[A], [B, Points]], authToken: Token);
        await Cluster.BatchOkAsync(Ops.On(A, Ops.Put("k", "seed")), Ops.On(B, Ops.Put("k", "seed")));
        await Cluster.BatchOkAsync(Ops.On(Points, Ops.Initialize("PTS", 2)), Ops.On(Points, Ops.Mint("system", 100m)));
        await Cluster.BatchOkAsync(Ops.On(Sql, Ops.Sql("CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT NOT NULL)")));
        await Cluster.BatchOkAsync(Ops.On(Sql, Ops.Sql("INSERT INTO t (id, name) VALUES ($1, $2)", 1, "one")));
        await Cluster.WaitSettledAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>Every node still answers /health, nothing is left unsettled, and the seeded data is exactly as it was.</summary>
    internal async Task AssertUnharmedAsync()
    {
        using var anonymous = new ApiClient(null);
        foreach (var node in Cluster.Nodes)
        {
            Assert.True(node.IsRunning, $"{node} died.\n{node.Tail()}");
            var health = await anonymous.GetAsync(node, "health");
            Assert.True(health.Status == 200 && health.Body["status"]!.GetValue<string>() == "OK", $"{node}: {health}");
        }

        await Cluster.WaitSettledAsync();
        foreach (var via in Cluster.Nodes)
        {
            var (results, _) = await Cluster.ReadAsync(
                via,
                Ops.On(A, Ops.Get("k")),
                Ops.On(B, Ops.Get("k")),
                Ops.On(A, Ops.Get("k2")),
                Ops.On(B, Ops.Get("k2")),
                Ops.On(Points, Ops.Balance("system")),
                Ops.On(Points, Ops.Balance("eve")),
                Ops.On(Sql, Ops.Sql("SELECT id, name FROM t ORDER BY id")));
            Assert.Equal("\"seed\"", Ops.Text(results[0]));
            Assert.Equal("\"seed\"", Ops.Text(results[1]));
            Assert.Null(results[2]);
            Assert.Null(results[3]);
            Assert.Equal(100m, Ops.Decimal(results[4]));
            Assert.Equal(0m, Ops.Decimal(results[5]));
            Assert.Equal("[[1,\"one\"]]", Ops.Text(results[6]!["rows"]));
        }
    }

    /// <summary>The writes bad requests try to sneak in next to their bad part.</summary>
    internal static JsonObject SneakyPut(string resource) => Ops.On(resource, Ops.Put("k", "changed"));
}
