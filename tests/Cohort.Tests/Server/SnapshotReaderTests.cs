using Cohort.Cluster;
using Cohort.Protocol;
using Cohort.Server.Services;

namespace Cohort.Tests.Server;

/// <summary>Snapshot reads on a one-node cluster: every resource is local, so nothing is forwarded.</summary>
public sealed class SnapshotReaderTests : IAsyncLifetime
{
    private const string Self = OneNode.Self;

    private static readonly DateTimeOffset Start = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Start);
    private OneNode _node = null!;
    private SnapshotReader _reader = null!;

    public async Task InitializeAsync()
    {
        _node = await OneNode.StartAsync();
        _reader = new SnapshotReader(Self, _node.Cluster, _node.Registry, _node.Client, _time);
    }

    public async Task DisposeAsync() => await _node.DisposeAsync();

    [Fact]
    public async Task Read_NoTimestampGiven_ReadsAsOfNow()
    {
        var (asOf, results) = await _reader.ReadAsync([("kv:users", Get("nobody"))], null, CancellationToken.None);

        Assert.Equal(HlcTimestamp.FromDateTimeOffset(Start), asOf);
        Assert.True(Assert.Single(results).IsNull);
    }

    [Fact]
    public async Task Read_TimestampGiven_AnswersThatTimestampAndEveryResultInOrder()
    {
        var at = new HlcTimestamp(12345);

        var (asOf, results) = await _reader.ReadAsync(
            [("kv:users", Get("a")), ($"{ResourceNames.DefaultSql}{ClusterAgent.NodeSeparator}{Self}", Value.Map(("sql", "SELECT 1 AS one")))],
            at,
            CancellationToken.None);

        Assert.Equal(at, asOf);
        Assert.Equal(2, results.Count);
        Assert.True(results[0].IsNull);
        Assert.Equal(ValueKind.Map, results[1].Kind);
    }

    [Fact]
    public async Task Read_ResourceNobodyHosts_IsUnknown()
    {
        var e = await Assert.ThrowsAsync<CohortException>(() => _reader.ReadAsync([("kv:nowhere", Get("a"))], null, CancellationToken.None));

        Assert.Equal(ErrorCodes.UnknownResource, e.Code);
    }

    [Fact]
    public async Task ReadLocal_ResourceNotHostedHere_NamesThisNode()
    {
        var e = await Assert.ThrowsAsync<CohortException>(() => _reader.ReadLocalAsync("kv:nowhere", new HlcTimestamp(1), Get("a"), CancellationToken.None));

        Assert.Equal(ErrorCodes.UnknownResource, e.Code);
        Assert.Contains(Self, e.Message, StringComparison.Ordinal);
    }

    private static Value Get(string key) => Operation.Create(OperationNames.Get, ("key", Value.From(key))).ToValue();
}
