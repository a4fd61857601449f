using Cohort.Protocol;
using Cohort.Server.Services;

namespace Cohort.Tests.Server;

/// <summary>
/// Resource creation and placement on a one-node cluster: a real registry (engines in a temp directory), a real cluster
/// agent (never started, so it sends nothing) and a node client that is never called.
/// </summary>
public sealed class ResourceServiceTests : IAsyncLifetime
{
    private const string Self = OneNode.Self;

    private OneNode _node = null!;
    private ResourceService _service = null!;

    public async Task InitializeAsync()
    {
        _node = await OneNode.StartAsync();
        _service = new ResourceService(Self, _node.Cluster, _node.Registry, _node.Client, replication: null);
    }

    public async Task DisposeAsync() => await _node.DisposeAsync();

    [Fact]
    public void Registry_AtStart_HoldsTheDefaultShardAndTheConfiguredResources()
    {
        Assert.Equal(["kv:users", ResourceNames.DefaultSql], _node.Registry.Names());
        Assert.Equal(ResourceNames.DefaultSql, _node.Registry.LocalDefaultShard);
        Assert.Same(_node.Registry.Find("kv:users"), _node.Host.GetEngine("kv:users"));
        Assert.Equal([("kv:users", 0), (ResourceNames.DefaultSql, 0)], _node.Registry.ActiveTransactions());
    }

    [Theory]
    [InlineData(ResourceNames.DefaultSql)]
    [InlineData(ResourceNames.DefaultPg)]
    [InlineData("kv:users@127.0.0.1:7002")]
    public void CheckNewName_DefaultShardOrNodeQualified_IsRefused(string name)
    {
        var e = Assert.Throws<CohortException>(() => ResourceService.CheckNewName(name));

        Assert.Equal(ErrorCodes.BadOperation, e.Code);
    }

    [Theory]
    [InlineData("users")]
    [InlineData("kv:")]
    [InlineData("kv:a b")]
    public void CheckNewName_NotAResourceName_IsRefused(string name) =>
        Assert.Equal(ErrorCodes.BadOperation, Assert.Throws<CohortException>(() => ResourceService.CheckNewName(name)).Code);

    [Fact]
    public void CheckNewName_AnOrdinaryName_Passes() => ResourceService.CheckNewName("queue:events");

    [Fact]
    public async Task Create_NoNodeNamed_OpensItHereAndHomesItHere()
    {
        var created = await _service.CreateAsync("queue:events", null, null, Value.Map(("name", "queue:events")), CancellationToken.None);

        Assert.Equal(new ResourcePlacement("queue:events", Self), created);
        Assert.NotNull(_node.Registry.Find("queue:events"));
        Assert.NotNull(_node.Host.GetEngine("queue:events"));
        Assert.Equal(Self, _node.Cluster.NodeOf("queue:events"));
        Assert.Equal(Self, _service.AliveHomeOf("queue:events"));
    }

    [Fact]
    public async Task Create_ExistingResource_IsRefused()
    {
        var e = await Assert.ThrowsAsync<CohortException>(() =>
            _service.CreateAsync("kv:users", null, null, Value.Map(("name", "kv:users")), CancellationToken.None));

        Assert.Equal(ErrorCodes.BadOperation, e.Code);
        Assert.Contains("already exists on " + Self, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_OnAnAddressThatIsNoMember_IsUnavailableForGood()
    {
        var e = await Assert.ThrowsAsync<CohortException>(() =>
            _service.CreateAsync("kv:orders", "127.0.0.1:7999", null, Value.Map(("name", "kv:orders")), CancellationToken.None));

        Assert.Equal(ErrorCodes.Unavailable, e.Code);
        Assert.False(e.IsTransient);
        Assert.Null(_node.Registry.Find("kv:orders"));
    }

    [Fact]
    public async Task Create_DsnForANonPostgresResource_IsRefused()
    {
        var e = await Assert.ThrowsAsync<CohortException>(() =>
            _service.CreateAsync("kv:orders", null, "Host=localhost", Value.Map(("name", "kv:orders")), CancellationToken.None));

        Assert.Equal(ErrorCodes.BadOperation, e.Code);
    }

    [Fact]
    public async Task Create_PostgresWithoutDsn_IsRefusedBeforeConnecting()
    {
        var e = await Assert.ThrowsAsync<CohortException>(() =>
            _service.CreateAsync("pg:orders", null, null, Value.Map(("name", "pg:orders")), CancellationToken.None));

        Assert.Equal(ErrorCodes.BadOperation, e.Code);
        Assert.Contains("connection string", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AliveHomeOf_UnknownResource_IsUnknown() =>
        Assert.Equal(ErrorCodes.UnknownResource, Assert.Throws<CohortException>(() => _service.AliveHomeOf("kv:nowhere")).Code);

    [Fact]
    public void List_NamesDefaultShardsWithTheirNode()
    {
        Assert.Equal(
            [new ResourcePlacement("kv:users", Self), new ResourcePlacement($"{ResourceNames.DefaultSql}@{Self}", Self)],
            _service.List());
    }
}
