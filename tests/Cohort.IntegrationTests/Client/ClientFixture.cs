using Cohort.Client;
using Cohort.IntegrationTests.Harness;

namespace Cohort.IntegrationTests.Client;

/// <summary>
/// One cluster shared by the client tests, with a bearer token: the master hosts <c>kv:users</c>, node1
/// <c>queue:events</c> and <c>resource:points</c>, node2 <c>sql:app</c>. Tests use their own keys, queues, tables and
/// token resources so they do not depend on each other.
/// </summary>
public sealed class ClientFixture : IAsyncLifetime
{
    public const string Token = "client-test-token";
    public const string Kv = "kv:users";
    public const string Queue = "queue:events";
    public const string Points = "resource:points";
    public const string Sql = "sql:app";

    internal TestCluster Cluster { get; private set; } = null!;

    public IReadOnlyList<string> Addresses => [.. Cluster.Nodes.Select(n => n.Address)];

    public async Task InitializeAsync()
    {
        Cluster = await TestCluster.StartAsync([[Kv], [Queue, Points], [Sql]], authToken: Token);
        using var client = NewClient();
        await client.BatchAsync([CohortOps.Initialize(Points, "PTS", 2), CohortOps.Mint(Points, "treasury", 1_000_000m)]);
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>A client of every node of the cluster (or of <paramref name="addresses"/>).</summary>
    public CohortClient NewClient(IReadOnlyList<string>? addresses = null, bool discover = true, string? token = Token) =>
        new(new CohortClientOptions
        {
            Addresses = addresses ?? Addresses,
            AuthToken = token,
            DiscoverLeader = discover,
            MaxAttempts = 3,
            InitialBackoff = TimeSpan.FromMilliseconds(50),
        });
}
