using System.Collections.Concurrent;
using System.Text;
using Cohort.Cluster;
using Cohort.Core;
using Cohort.Etcd;
using Cohort.IntegrationTests.Harness;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests.Etcd;

/// <summary>
/// <see cref="EtcdResourceConfigurations"/> (each replicated resource's primary, in-sync replicas and version, under
/// <c>&lt;prefix&gt;/configs/</c>) against a real 3-member etcd cluster: every view sees every change in order, and a
/// stale or deposed write changes nothing in etcd.
/// </summary>
[Collection(EtcdCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Category", "Etcd")]
public sealed class EtcdResourceConfigurationsTests(EtcdFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task CreateThenChange_BumpsTheVersion_AndEveryView_SeesEveryVersionInOrderThroughChanged()
    {
        await using var leader = await EtcdNode.StartLeaderAsync(fixture.Cluster.Endpoints, TimeSpan.FromSeconds(15), "127.0.0.1:7401");
        await using var follower = EtcdNode.Start(fixture.Cluster.Endpoints, leader.Prefix, "127.0.0.1:7402");
        var mineSeen = new ConcurrentQueue<ResourceConfiguration>();
        var theirsSeen = new ConcurrentQueue<ResourceConfiguration>();
        await using var mine = await OpenAsync(leader, mineSeen);
        await using var theirs = await OpenAsync(follower, theirsSeen);
        Assert.Empty(mine.Current);
        Assert.Null(await theirs.ReadAsync("kv:a"));

        var epoch = leader.Leadership.HeldEpoch;
        var v1 = await mine.CreateAsync(epoch, ResourceConfiguration.Create("kv:a", 1, "127.0.0.1:7401", ["127.0.0.1:7402"]));

        // The writer's view shows its write on return.
        Assert.Equal(v1, mine.Current["kv:a"]);
        var v2 = await mine.ChangeAsync(epoch, v1.Next("127.0.0.1:7402", ["127.0.0.1:7401", "127.0.0.1:7403"]));
        Assert.Equal(v2, mine.Current["kv:a"]);
        var v3 = await mine.ChangeAsync(epoch, v2.Next("127.0.0.1:7402", ["127.0.0.1:7403"]));
        var b1 = await mine.CreateAsync(epoch, ResourceConfiguration.Create("kv:b", 1, "127.0.0.1:7403", []));
        Assert.Equal(3, v3.Version);
        Assert.Equal(v3, mine.Current["kv:a"]);

        // What etcd holds: the documented JSON, put once per version.
        var stored = await RawAsync(leader.Client, leader.Prefix + "/configs/kv:a");
        Assert.NotNull(stored);
        Assert.Equal(v3.Encode(), stored.Value.ToByteArray());
        Assert.Equal(3, stored.Version);

        // The other node's fresh read and its watch both show it; both views raised every version once, in order.
        Assert.Equal(v3, await theirs.ReadAsync("kv:a"));
        await EtcdAssert.UntilAsync(() => theirsSeen.Count >= 4, Soon, "the other view to raise four changes");
        Assert.Equal([v1, v2, v3, b1], theirsSeen);
        Assert.Equal([v1, v2, v3, b1], mineSeen);
        Assert.Equal(Sorted(mine.Current), Sorted(theirs.Current));

        // A view opened later reads the same, and raises each configuration once, in the order etcd wrote them.
        var lateSeen = new ConcurrentQueue<ResourceConfiguration>();
        await using var late = await OpenAsync(follower, lateSeen);
        Assert.Equal(Sorted(mine.Current), Sorted(late.Current));
        Assert.Equal([v3, b1], lateSeen);
    }

    [Fact]
    public async Task AChangeComputedFromAnOldVersion_IsRefusedConfigurationMoved_AndNothingIsWritten()
    {
        await using var leader = await EtcdNode.StartLeaderAsync(fixture.Cluster.Endpoints, TimeSpan.FromSeconds(15), "127.0.0.1:7411");
        var mineSeen = new ConcurrentQueue<ResourceConfiguration>();
        await using var mine = await OpenAsync(leader, mineSeen);
        await using var again = await OpenAsync(leader);
        var epoch = leader.Leadership.HeldEpoch;
        var key = leader.Prefix + "/configs/kv:a";
        var v1 = await mine.CreateAsync(epoch, ResourceConfiguration.Create("kv:a", 1, "127.0.0.1:7411", ["127.0.0.1:7412"]));
        var v2 = await mine.ChangeAsync(epoch, v1.Next("127.0.0.1:7412", ["127.0.0.1:7411"]));
        var before = await RawAsync(leader.Client, key);

        // A change computed from version 1 again, and one from a version that never was.
        foreach (var stale in new[] { v1.Next("127.0.0.1:7413", []), v2.Next("127.0.0.1:7411", []).Next("127.0.0.1:7413", []) })
        {
            var moved = await Assert.ThrowsAsync<CohortException>(() => mine.ChangeAsync(epoch, stale));
            Assert.Equal(ErrorCodes.ConfigurationMoved, moved.Code);
            Assert.True(moved.IsTransient);
        }

        // Creating it again is refused too, for good.
        var exists = await Assert.ThrowsAsync<CohortException>(() => mine.CreateAsync(epoch, ResourceConfiguration.Create("kv:a", 1, "127.0.0.1:7413", [])));
        Assert.Equal(ErrorCodes.ConfigurationMoved, exists.Code);
        Assert.False(exists.IsTransient);

        var after = await RawAsync(leader.Client, key);
        Assert.Equal(before!.ModRevision, after!.ModRevision);
        Assert.Equal(2, after.Version);
        Assert.Equal(v2, mine.Current["kv:a"]);
        Assert.Equal(v2, await mine.ReadAsync("kv:a"));

        // Two writers changing from one version at once (each from its own view, which may lag the other's write so
        // that etcd's compare refuses it): one wins each round, the other is refused and writes nothing.
        string[] nodes = ["127.0.0.1:7411", "127.0.0.1:7412", "127.0.0.1:7413"];
        var current = v2;
        var refusedTotal = 0;
        for (var round = 0; round < 20; round++)
        {
            await EtcdAssert.UntilAsync(
                () => again.Current.GetValueOrDefault("kv:a") == current && mine.Current.GetValueOrDefault("kv:a") == current,
                Soon,
                $"both views to show version {current.Version}");
            var first = current.Next(nodes[round % 3], [nodes[(round + 1) % 3]]);
            var second = current.Next(nodes[(round + 1) % 3], [nodes[(round + 2) % 3]]);
            var attempts = new[] { Attempt(mine.ChangeAsync(epoch, first)), Attempt(again.ChangeAsync(epoch, second)) };
            var outcomes = await Task.WhenAll(attempts);
            var won = outcomes.Where(o => o.Written is not null).Select(o => o.Written!).ToList();
            var refused = outcomes.Where(o => o.Error is not null).Select(o => o.Error!).ToList();
            Assert.Single(won);
            Assert.Single(refused);
            Assert.Equal(ErrorCodes.ConfigurationMoved, refused[0].Code);
            current = won[0];
            refusedTotal++;
            Assert.Equal(current, (await mine.ReadAsync("kv:a"))!);
        }

        var last = await RawAsync(leader.Client, key);
        Assert.Equal(current.Version, last!.Version);
        Assert.Equal(22, current.Version);
        await EtcdAssert.UntilAsync(() => mineSeen.Count >= 22, Soon, "the first view to raise every version");
        Assert.Equal(Enumerable.Range(1, 22).Select(v => (long)v), mineSeen.Select(c => c.Version));
        output.WriteLine($"20 races: 20 changes written, {refusedTotal} refused configuration_moved (etcd's key version {last.Version})");
    }

    [Fact]
    public async Task AWriterNotHoldingTheLeaderKeyAtItsEpoch_IsRefusedNoLeader_AndNothingIsWritten()
    {
        await using var leader = await EtcdNode.StartLeaderAsync(fixture.Cluster.Endpoints, TimeSpan.FromSeconds(15), "127.0.0.1:7421");
        await using var follower = EtcdNode.Start(fixture.Cluster.Endpoints, leader.Prefix, "127.0.0.1:7422");
        var theirsSeen = new ConcurrentQueue<ResourceConfiguration>();
        await using var mine = await OpenAsync(leader);
        await using var theirs = await OpenAsync(follower, theirsSeen);
        var epoch = leader.Leadership.HeldEpoch;
        var key = leader.Prefix + "/configs/kv:a";
        var v1 = await mine.CreateAsync(epoch, ResourceConfiguration.Create("kv:a", 1, "127.0.0.1:7421", ["127.0.0.1:7422"]));
        await EtcdAssert.UntilAsync(() => theirs.Current.ContainsKey("kv:a"), Soon, "the follower's view to show kv:a");
        var before = await RawAsync(leader.Client, key);
        var next = v1.Next("127.0.0.1:7422", ["127.0.0.1:7421"]);

        // The follower (the leader key is not its own) at the leader's epoch; the leader at epochs it does not hold.
        var refusals = new List<CohortException>
        {
            await Assert.ThrowsAsync<CohortException>(() => theirs.ChangeAsync(epoch, next)),
            await Assert.ThrowsAsync<CohortException>(() => theirs.CreateAsync(epoch, ResourceConfiguration.Create("kv:b", 1, "127.0.0.1:7422", []))),
            await Assert.ThrowsAsync<CohortException>(() => mine.ChangeAsync(epoch - 1, next)),
            await Assert.ThrowsAsync<CohortException>(() => mine.ChangeAsync(epoch + 1, next)),
            await Assert.ThrowsAsync<CohortException>(() => mine.CreateAsync(epoch - 1, ResourceConfiguration.Create("kv:b", 1, "127.0.0.1:7421", []))),
        };

        // Deposed: the leader resigns and the follower takes the key at a new epoch; the old epoch writes nothing.
        await leader.Leadership.StopAsync();
        await EtcdAssert.LeaderAmongAsync(TimeSpan.FromSeconds(15), follower);
        var newEpoch = follower.Leadership.HeldEpoch;
        Assert.True(newEpoch > epoch);
        refusals.Add(await Assert.ThrowsAsync<CohortException>(() => mine.ChangeAsync(epoch, next)));
        refusals.Add(await Assert.ThrowsAsync<CohortException>(() => mine.CreateAsync(epoch, ResourceConfiguration.Create("kv:b", 1, "127.0.0.1:7421", []))));

        Assert.All(refusals, e => Assert.Equal(ErrorCodes.NoLeader, e.Code));
        Assert.All(refusals, e => Assert.True(e.IsTransient));
        var after = await RawAsync(leader.Client, key);
        Assert.Equal(before!.ModRevision, after!.ModRevision);
        Assert.Equal(1, after.Version);
        Assert.Null(await RawAsync(leader.Client, leader.Prefix + "/configs/kv:b"));
        Assert.Equal(v1, await mine.ReadAsync("kv:a"));
        Assert.False(mine.Current.ContainsKey("kv:b"));

        // The new leader's change of the same configuration lands, and the old leader's view follows it.
        Assert.Equal(next, await theirs.ChangeAsync(newEpoch, next));
        await EtcdAssert.UntilAsync(() => mine.Current["kv:a"] == next, Soon, "the deposed leader's view to show version 2");
        Assert.Equal([v1, next], theirsSeen);
    }

    [Fact]
    public async Task AValueThatDoesNotDecode_IsLeftOutOfTheView_AndReadingItIsCorruption_WhileTheOthersGoOn()
    {
        await using var leader = await EtcdNode.StartLeaderAsync(fixture.Cluster.Endpoints, TimeSpan.FromSeconds(15), "127.0.0.1:7431");
        var epoch = leader.Leadership.HeldEpoch;
        await PutRawAsync(leader.Client, leader.Prefix + "/configs/kv:bad", "{\"resource\":\"kv:bad\"");
        await PutRawAsync(leader.Client, leader.Prefix + "/configs/kv:elsewhere", Encoding.UTF8.GetString(ResourceConfiguration.Create("kv:other", 1, "127.0.0.1:7431", []).Encode()));
        var seen = new ConcurrentQueue<ResourceConfiguration>();
        await using var view = await OpenAsync(leader, seen);
        Assert.Empty(view.Current);

        // Neither a value that is no configuration nor one naming another resource is taken.
        Assert.Equal(ErrorCodes.Corruption, (await Assert.ThrowsAsync<CohortException>(() => view.ReadAsync("kv:bad"))).Code);
        Assert.Equal(ErrorCodes.Corruption, (await Assert.ThrowsAsync<CohortException>(() => view.ReadAsync("kv:elsewhere"))).Code);
        var good = await view.CreateAsync(epoch, ResourceConfiguration.Create("kv:good", 1, "127.0.0.1:7431", []));
        Assert.Equal([good], seen);
        Assert.Equal(["kv:good"], view.Current.Keys);

        // A configuration whose value is later written as garbage leaves the view (logged), the others stay.
        await PutRawAsync(leader.Client, leader.Prefix + "/configs/kv:good", "garbage");
        await EtcdAssert.UntilAsync(() => !view.Current.ContainsKey("kv:good"), Soon, "the undecodable kv:good to leave the view");
        var changed = await Assert.ThrowsAsync<CohortException>(() => view.ChangeAsync(epoch, good.Next("127.0.0.1:7432", [])));
        Assert.Equal(ErrorCodes.UnknownResource, changed.Code);
    }

    [Fact]
    public async Task TheViewSurvivesAnEtcdMemberRestart_AndChangesMadeMeanwhileArrive()
    {
        await using var etcd = await EtcdCluster.StartAsync(3);
        await using var leader = await EtcdNode.StartLeaderAsync(etcd.Endpoints, TimeSpan.FromSeconds(15), "127.0.0.1:7441");
        await using var watcher = EtcdNode.Start(etcd.Endpoints, leader.Prefix, "127.0.0.1:7442");
        var theirsSeen = new ConcurrentQueue<ResourceConfiguration>();
        await using var mine = await OpenAsync(leader);
        await using var theirs = await OpenAsync(watcher, theirsSeen);
        var epoch = leader.Leadership.HeldEpoch;
        var current = await mine.CreateAsync(epoch, ResourceConfiguration.Create("kv:a", 1, leader.Name, [watcher.Name]));
        for (var member = 0; member < etcd.Count; member++)
        {
            await etcd.KillAsync(member);
            current = await ChangeWithRetryAsync(mine, epoch, current.Next(current.Replicas[0], [current.Primary]));
            current = await ChangeWithRetryAsync(mine, epoch, current.Next(current.Replicas[0], [current.Primary]));
            etcd.Restart(member);
            await etcd.WaitHealthyAsync();
            var target = current;
            await EtcdAssert.UntilAsync(
                () => theirs.Current.GetValueOrDefault("kv:a") == target,
                TimeSpan.FromSeconds(20),
                $"the watcher to see version {target.Version}, written while etcd member {member} was down");
        }

        // Every version raised at most once, in order, ending at the last (a reconnect's fresh read may skip some).
        var versions = theirsSeen.Select(c => c.Version).ToList();
        output.WriteLine($"the watcher raised versions {string.Join(", ", versions)}");
        Assert.Equal(7, current.Version);
        Assert.Equal(current, theirsSeen.Last());
        Assert.True(versions.Zip(versions.Skip(1)).All(p => p.First < p.Second), "versions raised out of order: " + string.Join(", ", versions));
        Assert.Equal(current, await theirs.ReadAsync("kv:a"));
    }

    /// <summary>A change retried while etcd does not answer; one whose answer was lost but landed counts as written.</summary>
    private static async Task<ResourceConfiguration> ChangeWithRetryAsync(EtcdResourceConfigurations configurations, long epoch, ResourceConfiguration next)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await configurations.ChangeAsync(epoch, next);
            }
            catch (CohortException e) when (e.Code is ErrorCodes.Unavailable or ErrorCodes.ConfigurationMoved && attempt < 20)
            {
                if (configurations.Current.GetValueOrDefault(next.Resource) == next)
                {
                    return next;
                }

                if (e.Code == ErrorCodes.ConfigurationMoved)
                {
                    throw;
                }

                await Task.Delay(200);
            }
        }
    }

    private static async Task<(CohortException? Error, ResourceConfiguration? Written)> Attempt(Task<ResourceConfiguration> change)
    {
        try
        {
            return (null, await change);
        }
        catch (CohortException e)
        {
            return (e, null);
        }
    }

    private static List<KeyValuePair<string, ResourceConfiguration>> Sorted(IReadOnlyDictionary<string, ResourceConfiguration> view) =>
        [.. view.OrderBy(e => e.Key, StringComparer.Ordinal)];

    /// <summary>Opens a view as <paramref name="node"/> (the writer its leader key names), collecting what it raises into <paramref name="seen"/>.</summary>
    private static async Task<EtcdResourceConfigurations> OpenAsync(EtcdNode node, ConcurrentQueue<ResourceConfiguration>? seen = null)
    {
        var view = new EtcdResourceConfigurations(node.Client, new EtcdResourceConfigurationsOptions { KeyPrefix = node.Prefix, Node = node.Name });
        if (seen is not null)
        {
            view.Changed += seen.Enqueue;
        }

        await view.StartAsync();
        return view;
    }

    // The test's own etcd calls, tried again (up to 10 times, 1 s each) when they reach a member that is down.
    private static async Task<Mvccpb.KeyValue?> RawAsync(EtcdClient client, string key)
    {
        var answer = await RetryAsync(() => client.GetConnection().KVClient.RangeAsync(
            new RangeRequest { Key = ByteString.CopyFromUtf8(key) },
            deadline: DateTime.UtcNow.AddSeconds(1)).ResponseAsync);
        return answer.Kvs.Count > 0 ? answer.Kvs[0] : null;
    }

    private static Task PutRawAsync(EtcdClient client, string key, string value) =>
        RetryAsync(() => client.GetConnection().KVClient.PutAsync(
            new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) },
            deadline: DateTime.UtcNow.AddSeconds(1)).ResponseAsync);

    private static async Task<T> RetryAsync<T>(Func<Task<T>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (e is Grpc.Core.RpcException or OperationCanceledException or HttpRequestException && attempt < 10)
            {
                await Task.Delay(100);
            }
        }
    }
}
