using System.Collections.Immutable;
using System.Diagnostics;
using Cohort.Coordination;
using Cohort.Core;
using Cohort.Protocol;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;

namespace Cohort.IntegrationTests.Etcd;

/// <summary>Helpers of the etcd tests: decisions to write, reads straight from etcd, bounded polling.</summary>
internal static class EtcdAssert
{
    public static CommitDecision NewDecision(long epoch, int i = 0) => new(
        TxId.NewId(),
        ImmutableArray.Create(new Participant("kv:users", "http://127.0.0.1:7001"), new Participant($"pg:shard{i % 3}", "http://127.0.0.1:7002")),
        new HlcTimestamp(1_000_000 + i),
        epoch);

    public static void Same(CommitDecision expected, CommitDecision actual)
    {
        Assert.Equal(expected.TxId, actual.TxId);
        Assert.Equal(expected.CommitTimestamp, actual.CommitTimestamp);
        Assert.Equal(expected.Epoch, actual.Epoch);
        Assert.Equal(expected.Participants.AsEnumerable(), actual.Participants.AsEnumerable());
    }

    /// <summary>The keys under <c>&lt;prefix&gt;/decisions/</c>, read straight from etcd.</summary>
    public static async Task<List<Mvccpb.KeyValue>> DecisionKeysAsync(EtcdClient client, string prefix)
    {
        var start = ByteString.CopyFromUtf8(prefix + "/decisions/");
        var end = ByteString.CopyFromUtf8(prefix + "/decisions0");
        var answer = await ReadAsync(client, new RangeRequest { Key = start, RangeEnd = end });
        return [.. answer.Kvs];
    }

    // A range read, tried again (up to 10 times, 1 s each) when it reaches a member that is down or stopped: the test's
    // own reads must not fail where the product's retried writes succeed.
    private static async Task<RangeResponse> ReadAsync(EtcdClient client, RangeRequest request)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await client.GetConnection().KVClient.RangeAsync(request, deadline: DateTime.UtcNow.AddSeconds(1));
            }
            catch (Exception e) when (e is Grpc.Core.RpcException or OperationCanceledException or HttpRequestException && attempt < 10)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>The keys under <c>&lt;prefix&gt;/resources/</c> (resource → home node), read straight from etcd.</summary>
    public static async Task<Dictionary<string, string>> PlacementAsync(EtcdClient client, string prefix)
    {
        var start = ByteString.CopyFromUtf8(prefix + "/resources/");
        var end = ByteString.CopyFromUtf8(prefix + "/resources0");
        var answer = await ReadAsync(client, new RangeRequest { Key = start, RangeEnd = end });
        return answer.Kvs.ToDictionary(kv => kv.Key.ToStringUtf8()[start.Length..], kv => kv.Value.ToStringUtf8());
    }

    /// <summary>The membership key's value (<c>{"version":n,"members":[…]}</c>) read straight from etcd, or null when absent.</summary>
    public static async Task<(long Version, List<string> Members)?> MembershipAsync(EtcdClient client, string prefix)
    {
        var answer = await ReadAsync(client, new RangeRequest { Key = ByteString.CopyFromUtf8(prefix + "/members") });
        if (answer.Kvs.Count == 0)
        {
            return null;
        }

        var value = System.Text.Json.Nodes.JsonNode.Parse(answer.Kvs[0].Value.ToStringUtf8())!;
        return (value["version"]!.GetValue<long>(), [.. value["members"]!.AsArray().Select(m => m!.GetValue<string>())]);
    }

    /// <summary>The leader key, read straight from etcd (null when absent).</summary>
    public static async Task<Mvccpb.KeyValue?> LeaderKeyAsync(EtcdClient client, string prefix)
    {
        var answer = await ReadAsync(client, new RangeRequest { Key = ByteString.CopyFromUtf8(prefix + "/leader") });
        return answer.Kvs.Count > 0 ? answer.Kvs[0] : null;
    }

    /// <summary>Polls <paramref name="condition"/> every 10 ms until it holds; returns the time it took, or throws after <paramref name="timeout"/>.</summary>
    public static async Task<TimeSpan> UntilAsync(Func<bool> condition, TimeSpan timeout, string what, Action? eachPoll = null)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            eachPoll?.Invoke();
            if (condition())
            {
                return watch.Elapsed;
            }

            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"Waited {timeout.TotalSeconds:0.#} s for {what}; it never held.");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>Waits until one of <paramref name="nodes"/> leads and returns it.</summary>
    public static async Task<EtcdNode> LeaderAmongAsync(TimeSpan timeout, params EtcdNode[] nodes)
    {
        await UntilAsync(() => nodes.Any(n => n.Leadership.IsLeader), timeout, "a leader among " + string.Join(", ", nodes.Select(n => n.Name)));
        return nodes.First(n => n.Leadership.IsLeader);
    }
}
