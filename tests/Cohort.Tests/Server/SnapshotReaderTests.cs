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
        _reader = new SnapshotReader(Self, _node.Cluster, _node.Registry, _node.Client, _node.Host, _time);
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
        var e = await Assert.ThrowsAsync<CohortException>(() => _reader.ReadLocalAsync("kv:nowhere", new HlcTimestamp(1), Get("a"), 0, CancellationToken.None));

        Assert.Equal(ErrorCodes.UnknownResource, e.Code);
        Assert.Contains(Self, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_IsAdmittedByTheHost_WithTheResourcesTerm_AndARefusalIsTheAnswer()
    {
        // A replicated resource's primary admits a read only at its term and under its read lease (ReplicatedResources).
        var admitted = new List<(string Resource, long Term, bool Reads)>();
        _node.Host.Admit = (resource, term, reads, _) =>
        {
            admitted.Add((resource, term, reads));
            return resource == "kv:users"
                ? throw new CohortException(ErrorCodes.Unavailable, "no lease", isTransient: true)
                : ValueTask.CompletedTask;
        };

        var refused = await Assert.ThrowsAsync<CohortException>(() => _reader.ReadAsync([("kv:users", Get("a"))], null, CancellationToken.None));
        var local = await Assert.ThrowsAsync<CohortException>(() => _reader.ReadLocalAsync("kv:users", new HlcTimestamp(1), Get("a"), 7, CancellationToken.None));

        Assert.Equal(ErrorCodes.Unavailable, refused.Code);
        Assert.Equal(ErrorCodes.Unavailable, local.Code);
        Assert.Equal([("kv:users", 0L, true), ("kv:users", 7L, true)], admitted);
    }

    private static Value Get(string key) => Operation.Create(OperationNames.Get, ("key", Value.From(key))).ToValue();
}
