using System.Text;
using Cohort.Cluster;
using Cohort.Etcd;
using Google.Protobuf;

namespace Cohort.Tests.Cluster;

/// <summary>
/// <see cref="ResourceConfiguration"/> (its rules, value equality and stored JSON) and
/// <see cref="InMemoryResourceConfigurations"/> (create, change, the leadership fence, moved configurations, events).
/// </summary>
public sealed class ResourceConfigurationTests
{
    private const string A = "127.0.0.1:7001";
    private const string B = "127.0.0.1:7002";
    private const string C = "127.0.0.1:7003";

    [Fact]
    public void Create_KeepsTheReplicasInTheGivenOrder_AndMembersArePrimaryThenReplicas()
    {
        var configuration = ResourceConfiguration.Create("kv:a", 1, B, [C, A]);
        Assert.Equal([C, A], configuration.Replicas);
        Assert.Equal([B, C, A], configuration.Members);
        Assert.Equal("kv:a v1: primary 127.0.0.1:7002, replicas [127.0.0.1:7003, 127.0.0.1:7001]", configuration.ToString());
    }

    [Fact]
    public void Equality_IsByValue_OverTheReplicasInOrder()
    {
        var one = new ResourceConfiguration("kv:a", 2, A, new List<string> { B, C });
        var same = new ResourceConfiguration("kv:a", 2, A, [B, C]);
        Assert.Equal(one, same);
        Assert.True(one == same);
        Assert.Equal(one.GetHashCode(), same.GetHashCode());

        Assert.NotEqual(one, same with { Replicas = [C, B] });
        Assert.NotEqual(one, same with { Version = 3 });
        Assert.NotEqual(one, same with { Primary = "127.0.0.1:7009" });
        Assert.NotEqual(one, same with { Resource = "kv:b" });
        Assert.NotEqual(one, same with { Replicas = [B] });
        Assert.False(one.Equals(null));
    }

    [Fact]
    public void Replicas_AreACopy_SoChangingTheGivenListChangesNothing()
    {
        var given = new List<string> { B };
        var configuration = new ResourceConfiguration("kv:a", 1, A, given);
        var changed = configuration with { Replicas = given };
        given.Add(C);
        Assert.Equal([B], configuration.Replicas);
        Assert.Equal([B], changed.Replicas);
        Assert.Equal(configuration, changed);
    }

    [Fact]
    public void Next_IsTheSameResourceAtTheNextVersion()
    {
        var first = ResourceConfiguration.Create("kv:a", 1, A, [B, C]);
        var next = first.Next(B, [C]);
        Assert.Equal(new ResourceConfiguration("kv:a", 2, B, [C]), next);
        Assert.Throws<ArgumentException>(() => first.Next(B, [B]));
    }

    public static TheoryData<string, long, string, string[]> BrokenConfigurations() => new()
    {
        { "", 1, A, [B] },
        { " ", 1, A, [B] },
        { "kv:a", 0, A, [B] },
        { "kv:a", -4, A, [B] },
        { "kv:a", 1, "", [B] },
        { "kv:a", 1, A, [""] },
        { "kv:a", 1, A, [B, " "] },
        { "kv:a", 1, A, [B, B] },
        { "kv:a", 1, A, [B, A] },
        { "kv:a", 1, A, [A] },
    };

    [Theory]
    [MemberData(nameof(BrokenConfigurations))]
    public void Validate_RefusesEmptyNamesAVersionBelowOneDuplicatesAndThePrimaryAmongTheReplicas(string resource, long version, string primary, string[] replicas)
    {
        Assert.ThrowsAny<ArgumentException>(() => ResourceConfiguration.Create(resource, version, primary, replicas));
        Assert.ThrowsAny<ArgumentException>(() => new ResourceConfiguration(resource, version, primary, replicas).Validate());
    }

    [Fact]
    public void Validate_AcceptsAConfigurationWithoutReplicas()
    {
        var alone = ResourceConfiguration.Create("kv:a", 1, A, []);
        Assert.Empty(alone.Replicas);
        Assert.Equal([A], alone.Members);
    }

    [Fact]
    public void Json_HasTheDocumentedShape_AndRoundTrips()
    {
        var configuration = ResourceConfiguration.Create("kv:a", 3, A, [B]);
        var json = configuration.Encode();
        Assert.Equal("""{"resource":"kv:a","version":3,"primary":"127.0.0.1:7001","replicas":["127.0.0.1:7002"]}""", Encoding.UTF8.GetString(json));
        Assert.Equal(configuration, ResourceConfiguration.Decode(json));

        var several = ResourceConfiguration.Create("sql:orders", 9_000_000_000, C, [B, A]);
        Assert.Equal(several, ResourceConfiguration.Decode(several.Encode()));
        var none = ResourceConfiguration.Create("kv:\"quoted\" é", 1, A, []);
        Assert.Equal(none, ResourceConfiguration.Decode(none.Encode()));
    }

    [Fact]
    public void Decode_IgnoresMembersItDoesNotKnow()
    {
        var json = """{"replicas":["127.0.0.1:7002"],"added_later":{"x":1},"primary":"127.0.0.1:7001","version":3,"resource":"kv:a"}""";
        Assert.Equal(ResourceConfiguration.Create("kv:a", 3, A, [B]), ResourceConfiguration.Decode(Encoding.UTF8.GetBytes(json)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("{}")]
    [InlineData("""{"resource":"kv:a","version":3,"primary":"127.0.0.1:7001"}""")]
    [InlineData("""{"resource":"kv:a","primary":"127.0.0.1:7001","replicas":[]}""")]
    [InlineData("""{"version":3,"primary":"127.0.0.1:7001","replicas":[]}""")]
    [InlineData("""{"resource":"kv:a","version":3,"replicas":[]}""")]
    [InlineData("""{"resource":"kv:a","version":"3","primary":"127.0.0.1:7001","replicas":[]}""")]
    [InlineData("""{"resource":"kv:a","version":3.5,"primary":"127.0.0.1:7001","replicas":[]}""")]
    [InlineData("""{"resource":"kv:a","version":0,"primary":"127.0.0.1:7001","replicas":[]}""")]
    [InlineData("""{"resource":null,"version":3,"primary":"127.0.0.1:7001","replicas":[]}""")]
    [InlineData("""{"resource":"kv:a","version":3,"primary":7001,"replicas":[]}""")]
    [InlineData("""{"resource":"kv:a","version":3,"primary":"127.0.0.1:7001","replicas":"127.0.0.1:7002"}""")]
    [InlineData("""{"resource":"kv:a","version":3,"primary":"127.0.0.1:7001","replicas":[null]}""")]
    [InlineData("""{"resource":"kv:a","version":3,"primary":"127.0.0.1:7001","replicas":[7002]}""")]
    [InlineData("""{"resource":"kv:a","version":3,"primary":"127.0.0.1:7001","replicas":["127.0.0.1:7001"]}""")]
    [InlineData("""{"resource":"kv:a","version":3,"primary":"127.0.0.1:7001","replicas":["127.0.0.1:7002","127.0.0.1:7002"]}""")]
    [InlineData("""{"resource":"","version":3,"primary":"127.0.0.1:7001","replicas":[]}""")]
    [InlineData("""{"resource":"kv:a","version":3,"primary":"127.0.0.1:7001","replicas":[]""")]
    public void Decode_OfBytesOfAnotherShape_IsCorruption(string json)
    {
        var error = Assert.Throws<CohortException>(() => ResourceConfiguration.Decode(Encoding.UTF8.GetBytes(json)));
        Assert.Equal(ErrorCodes.Corruption, error.Code);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public void Decode_OfBytesThatAreNotUtf8_IsCorruption()
    {
        byte[] bytes = [.. Encoding.UTF8.GetBytes("""{"resource":"kv:"""), 0xff, 0xfe, .. Encoding.UTF8.GetBytes(""" ","version":3,"primary":"a","replicas":[]}""")];
        Assert.Equal(ErrorCodes.Corruption, Assert.Throws<CohortException>(() => ResourceConfiguration.Decode(bytes)).Code);
        Assert.Equal(ErrorCodes.Corruption, Assert.Throws<CohortException>(() => ResourceConfiguration.Decode(new byte[] { 0, 1, 2 })).Code);
    }

    [Fact]
    public void EtcdConfigurationKeys_HaveTheirOwnRange_OutsideTheDirectorysWatchAndTheDecisions()
    {
        var keys = new EtcdKeys("/cohort/prod/");
        var key = keys.Config("kv:a");
        Assert.Equal("/cohort/prod/configs/kv:a", key.ToStringUtf8());
        Assert.True(Inside(key, keys.Configs, keys.ConfigsEnd));

        // The directory watches [members, resources end): configuration changes must not reach it, nor decisions'.
        Assert.False(Inside(key, keys.Members, keys.ResourcesEnd));
        Assert.False(Inside(key, keys.Decisions, keys.DecisionsEnd));
        foreach (var other in new[] { keys.Leader, keys.Members, keys.Resource("kv:a"), keys.Decision(TxId.NewId()) })
        {
            Assert.False(Inside(other, keys.Configs, keys.ConfigsEnd), other.ToStringUtf8());
        }

        static bool Inside(ByteString key, ByteString start, ByteString end) => key.Span.SequenceCompareTo(start.Span) >= 0 && key.Span.SequenceCompareTo(end.Span) < 0;
    }

    [Fact]
    public async Task InMemory_CreateThenChange_BumpsTheVersion_AndRaisesChangedOncePerWriteInOrder()
    {
        var store = new InMemoryResourceConfigurations(epoch => epoch == 7);
        var seen = new List<ResourceConfiguration>();
        store.Changed += seen.Add;
        await store.StartAsync();
        Assert.Empty(store.Current);
        Assert.Null(await store.ReadAsync("kv:a"));

        var first = await store.CreateAsync(7, ResourceConfiguration.Create("kv:a", 1, A, [B]));
        var second = await store.ChangeAsync(7, first.Next(B, [C]));
        var third = await store.ChangeAsync(7, second.Next(B, []));
        var other = await store.CreateAsync(7, ResourceConfiguration.Create("kv:b", 1, C, [A, B]));

        Assert.Equal([first, second, third, other], seen);
        Assert.Equal(third, store.Current["kv:a"]);
        Assert.Equal(other, store.Current["kv:b"]);
        Assert.Equal(3, (await store.ReadAsync("kv:a"))!.Version);
        Assert.Equal(2, store.Current.Count);
    }

    [Fact]
    public async Task InMemory_CreateOfAnExistingConfiguration_IsConfigurationMovedNotTransient_AndChangesNothing()
    {
        var store = new InMemoryResourceConfigurations(_ => true);
        var first = await store.CreateAsync(1, ResourceConfiguration.Create("kv:a", 1, A, [B]));
        var changed = await store.ChangeAsync(1, first.Next(A, [B, C]));
        var seen = new List<ResourceConfiguration>();
        store.Changed += seen.Add;

        var error = await Assert.ThrowsAsync<CohortException>(() => store.CreateAsync(1, ResourceConfiguration.Create("kv:a", 1, C, [])));
        Assert.Equal(ErrorCodes.ConfigurationMoved, error.Code);
        Assert.False(error.IsTransient);
        Assert.Equal(changed, store.Current["kv:a"]);
        Assert.Empty(seen);
    }

    [Fact]
    public async Task InMemory_AChangeComputedFromAnotherVersion_IsConfigurationMovedTransient_AndChangesNothing()
    {
        var store = new InMemoryResourceConfigurations(_ => true);
        var first = await store.CreateAsync(1, ResourceConfiguration.Create("kv:a", 1, A, [B]));
        var second = await store.ChangeAsync(1, first.Next(B, [A]));
        var seen = new List<ResourceConfiguration>();
        store.Changed += seen.Add;

        // From version 1 again (a stale leader's view), and from a version that never was.
        foreach (var stale in new[] { first.Next(C, [A]), second.Next(C, []).Next(A, []) })
        {
            var error = await Assert.ThrowsAsync<CohortException>(() => store.ChangeAsync(1, stale));
            Assert.Equal(ErrorCodes.ConfigurationMoved, error.Code);
            Assert.True(error.IsTransient);
            Assert.True(error.NeverRan);
        }

        Assert.Equal(second, store.Current["kv:a"]);
        Assert.Equal(second, await store.ReadAsync("kv:a"));
        Assert.Empty(seen);

        // Computed again from the current one, it lands.
        Assert.Equal(3, (await store.ChangeAsync(1, second.Next(C, [A]))).Version);
    }

    [Fact]
    public async Task InMemory_AWriterNotLeadingAtItsEpoch_IsNoLeader_AndChangesNothing()
    {
        var leaderEpoch = 5L;
        var store = new InMemoryResourceConfigurations(epoch => epoch == Volatile.Read(ref leaderEpoch));
        var first = await store.CreateAsync(5, ResourceConfiguration.Create("kv:a", 1, A, [B]));
        var seen = new List<ResourceConfiguration>();
        store.Changed += seen.Add;

        // Deposed: a new leader holds epoch 9.
        Volatile.Write(ref leaderEpoch, 9);
        var refusals = new[]
        {
            await Assert.ThrowsAsync<CohortException>(() => store.ChangeAsync(5, first.Next(B, []))),
            await Assert.ThrowsAsync<CohortException>(() => store.CreateAsync(5, ResourceConfiguration.Create("kv:b", 1, A, []))),

            // The fence comes first: a change from a stale version by a deposed leader is no_leader, not moved.
            await Assert.ThrowsAsync<CohortException>(() => store.ChangeAsync(5, first.Next(B, []).Next(A, []))),
            await Assert.ThrowsAsync<CohortException>(() => store.CreateAsync(5, ResourceConfiguration.Create("kv:a", 1, A, []))),
        };
        Assert.All(refusals, e => Assert.Equal(ErrorCodes.NoLeader, e.Code));
        Assert.All(refusals, e => Assert.True(e.IsTransient));
        Assert.Equal(first, store.Current["kv:a"]);
        Assert.False(store.Current.ContainsKey("kv:b"));
        Assert.Empty(seen);

        // The new leader's change lands.
        Assert.Equal(2, (await store.ChangeAsync(9, first.Next(B, []))).Version);
    }

    [Fact]
    public async Task InMemory_ChangeOfAResourceWithoutConfiguration_IsUnknownResource()
    {
        var store = new InMemoryResourceConfigurations(_ => true);
        var error = await Assert.ThrowsAsync<CohortException>(() => store.ChangeAsync(1, ResourceConfiguration.Create("kv:none", 2, A, [])));
        Assert.Equal(ErrorCodes.UnknownResource, error.Code);
        Assert.Empty(store.Current);
    }

    [Fact]
    public async Task InMemory_CreateAtAVersionOtherThanOne_OrChangeToVersionOne_OrABrokenConfiguration_IsAnArgumentError()
    {
        var store = new InMemoryResourceConfigurations(_ => true);
        await Assert.ThrowsAsync<ArgumentException>(() => store.CreateAsync(1, ResourceConfiguration.Create("kv:a", 2, A, [])));
        await Assert.ThrowsAsync<ArgumentException>(() => store.CreateAsync(1, new ResourceConfiguration("kv:a", 1, A, [A])));
        await store.CreateAsync(1, ResourceConfiguration.Create("kv:a", 1, A, []));
        await Assert.ThrowsAsync<ArgumentException>(() => store.ChangeAsync(1, ResourceConfiguration.Create("kv:a", 1, B, [])));
        await Assert.ThrowsAsync<ArgumentException>(() => store.ChangeAsync(1, new ResourceConfiguration("kv:a", 2, B, [C, C])));
        Assert.Equal(1, store.Current["kv:a"].Version);
    }

    [Fact]
    public async Task InMemory_ConcurrentChangesFromOneVersion_ExactlyOneWinsEachRound_AndChangedSeesEveryVersionOnceInOrder()
    {
        var store = new InMemoryResourceConfigurations(_ => true);
        var seen = new List<long>();
        var inHandler = 0;
        store.Changed += c =>
        {
            // Never raised twice at once (the list is not thread-safe on purpose).
            Assert.Equal(1, Interlocked.Increment(ref inHandler));
            seen.Add(c.Version);
            Interlocked.Decrement(ref inHandler);
        };
        await store.CreateAsync(1, ResourceConfiguration.Create("kv:a", 1, A, [B, C]));
        string[] nodes = [A, B, C];
        var wins = 0;
        var moved = 0;
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var round = 0; round < 200; round++)
            {
                var current = store.Current["kv:a"];
                var primary = nodes[(w + round) % 3];
                try
                {
                    await store.ChangeAsync(1, current.Next(primary, nodes.Where(n => n != primary)));
                    Interlocked.Increment(ref wins);
                }
                catch (CohortException e) when (e.Code == ErrorCodes.ConfigurationMoved)
                {
                    Interlocked.Increment(ref moved);
                }
            }
        })).ToArray();
        await Task.WhenAll(writers);

        Assert.Equal(800, wins + moved);
        Assert.Equal(1 + wins, store.Current["kv:a"].Version);
        Assert.Equal(Enumerable.Range(1, 1 + wins).Select(v => (long)v), seen);
    }

    [Fact]
    public async Task InMemory_ChangedIsRaisedOutsideTheLock_AndAWriteFromAHandlerIsRaisedAfterIt()
    {
        var store = new InMemoryResourceConfigurations(_ => true);
        var seen = new List<long>();
        var nestedWrote = false;
        store.Changed += c =>
        {
            seen.Add(c.Version);
            if (c.Version == 1)
            {
                // Another thread writes while this handler runs: it would wait forever if the store's lock were held.
                var nested = Task.Run(() => store.ChangeAsync(1, c.Next(B, [A])));
                nestedWrote = nested.Wait(TimeSpan.FromSeconds(10));
                seen.Add(-1);
            }
        };

        await store.CreateAsync(1, ResourceConfiguration.Create("kv:a", 1, A, [B]));
        Assert.True(nestedWrote);
        Assert.Equal([1L, -1L, 2L], seen);
        Assert.Equal(2, store.Current["kv:a"].Version);
    }

    [Fact]
    public async Task InMemory_AFailingHandler_DoesNotStopTheOthers_AndItsErrorReachesTheWriterAfterTheWrite()
    {
        var store = new InMemoryResourceConfigurations(_ => true);
        var seen = new List<long>();
        store.Changed += _ => throw new InvalidOperationException("handler bug");
        store.Changed += c => seen.Add(c.Version);

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.CreateAsync(1, ResourceConfiguration.Create("kv:a", 1, A, [])));
        Assert.Equal([1L], seen);
        Assert.Equal(1, store.Current["kv:a"].Version);
    }
}
