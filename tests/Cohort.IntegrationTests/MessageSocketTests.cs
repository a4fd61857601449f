using System.Text.Json.Nodes;
using Cohort.Coordination;
using Cohort.Core;
using Cohort.IntegrationTests.Harness;
using Cohort.Protocol;
using Cohort.Transport;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests;

/// <summary>
/// The node-to-node message socket (<c>GET /internal/ws</c>, <see cref="NodeSockets"/>) against real node processes:
/// concurrent requests sharing one socket each get their own answer, problems keep their codes, the bearer token guards
/// the upgrade, and a node killed under load fails the requests in flight (never a wrong or lost answer) and is reached
/// again after its restart. Also: a cluster whose nodes send protocol messages as HTTP requests (<c>--messages http</c>)
/// still commits across nodes. Every other integration test runs over the socket, the nodes' default.
/// </summary>
[Trait("Category", "Integration")]
public sealed class MessageSocketTests(ITestOutputHelper output)
{
    private const string Token = "socket-test-token";
    private const int Keys = 200;

    [Fact]
    public async Task ConcurrentRequests_OnOneSocket_EachGetsItsOwnAnswer_ProblemsKeepTheirCodes_TokenRequired()
    {
        await using var cluster = await TestCluster.StartAsync([["kv:a"], ["kv:b"]], output, authToken: Token);
        var node = cluster.Nodes[1];
        var asOf = await WriteKeysAsync(cluster);

        await using var sockets = new NodeSockets(Token, TimeSpan.FromSeconds(30), PeerRoutes.None);

        // 400 reads at once, two per key, all on one socket: every answer must be its own key's value.
        var reads = Enumerable.Range(0, 2 * Keys).Select(async i =>
        {
            var key = i % Keys;
            var answer = await sockets.PostAsync(node.Address, "internal/read", ReadBody($"k{key}", asOf), CancellationToken.None);
            return (key, answer);
        });
        foreach (var (key, answer) in await Task.WhenAll(reads))
        {
            Assert.Equal($"v{key}", WireFields.Field(answer, "result").AsString());
        }

        // Problems come back with the code the HTTP endpoint would answer.
        var unknownPath = await Assert.ThrowsAsync<CohortException>(() => sockets.PostAsync(node.Address, "internal/nothing", Value.Map(), CancellationToken.None).AsTask());
        Assert.Equal("not_found", unknownPath.Code);
        var badBody = await Assert.ThrowsAsync<CohortException>(() => sockets.PostAsync(node.Address, "internal/read", Value.Map(("op", "x")), CancellationToken.None).AsTask());
        Assert.Equal(ErrorCodes.BadJson, badBody.Code);
        var unknownResource = await Assert.ThrowsAsync<CohortException>(() => sockets.PostAsync(node.Address, "internal/read", ReadBody("k1", asOf, "kv:nowhere"), CancellationToken.None).AsTask());
        Assert.Equal(ErrorCodes.UnknownResource, unknownResource.Code);

        // A request over the message limit is refused before it is sent, and only it.
        var huge = await Assert.ThrowsAsync<CohortException>(() => sockets.PostAsync(node.Address, "internal/read", ReadBody(new string('k', MessageFrames.MaxMessageBytes + 1), asOf), CancellationToken.None).AsTask());
        Assert.Equal("too_large", huge.Code);

        // The socket still serves after the problems.
        Assert.Equal("v7", WireFields.Field(await sockets.PostAsync(node.Address, "internal/read", ReadBody("k7", asOf), CancellationToken.None), "result").AsString());

        // The upgrade is refused without the right token (as a 401 problem is over HTTP), and nothing is served on it.
        await using var stranger = new NodeSockets("wrong-token", TimeSpan.FromSeconds(30), PeerRoutes.None);
        var refused = await Assert.ThrowsAsync<CohortException>(() => stranger.PostAsync(node.Address, "internal/read", ReadBody("k1", asOf), CancellationToken.None).AsTask());
        Assert.Equal("unauthorized", refused.Code);
        Assert.False(refused.IsTransient);
        Assert.Contains("401", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NodeKilledUnderLoad_RequestsFailAsUnavailableOrAnswerCorrectly_ThenTheRestartedNodeIsReachedAgain()
    {
        await using var cluster = await TestCluster.StartAsync([["kv:a"], ["kv:b"]], output);
        var node = cluster.Nodes[1];
        var asOf = await WriteKeysAsync(cluster);
        await using var sockets = new NodeSockets(null, TimeSpan.FromSeconds(10), PeerRoutes.None);

        var answered = 0;
        var failed = 0;
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 16).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested && i < 100_000; i++)
            {
                var key = (worker * 31 + i) % Keys;
                try
                {
                    var answer = await sockets.PostAsync(node.Address, "internal/read", ReadBody($"k{key}", asOf), CancellationToken.None);
                    Assert.Equal($"v{key}", WireFields.Field(answer, "result").AsString());
                    Interlocked.Increment(ref answered);
                }
                catch (CohortException e) when (e.Code == ErrorCodes.Unavailable)
                {
                    Interlocked.Increment(ref failed);
                    await Task.Delay(20);
                }
            }
        }));
        var workers = Task.WhenAll(load);

        await Wait.UntilAsync(() => Task.FromResult(Volatile.Read(ref answered) > 500), Wait.Long, "reads answered before the kill");
        await node.KillAsync();
        var afterKill = Volatile.Read(ref answered);
        await Wait.UntilAsync(() => Task.FromResult(Volatile.Read(ref failed) > 0), Wait.Long, "reads failing while the node is down");

        await node.RestartAsync();
        await Wait.UntilAsync(() => Task.FromResult(Volatile.Read(ref answered) > afterKill + 500), Wait.Long, "reads answered again after the restart");
        await stop.CancelAsync();
        await workers;
        output.WriteLine($"answered {answered}, failed as unavailable {failed} (answered {afterKill} before the kill)");
    }

    [Fact]
    public async Task ParticipantFrozenDuringABatch_TheBatchEndsAbortedInTime_AndNothingIsApplied()
    {
        await using var cluster = await TestCluster.StartAsync([[], ["kv:a"], ["kv:b"]], output);
        await cluster.BatchOkAsync(Ops.On("kv:a", Ops.Put("x", "0")), Ops.On("kv:b", Ops.Put("y", "0")));
        var frozen = cluster.Nodes[2];
        Assert.NotSame(cluster.Master, frozen);

        // The socket to the frozen node stays open (keep-alive gives up only after 15 s): the request's wait for an
        // answer must end with the transaction's deadline, not with the socket.
        var started = System.Diagnostics.Stopwatch.StartNew();
        ApiResponse answer;
        await frozen.SignalAsync(pause: true);
        try
        {
            var body = Ops.Batch(Ops.On("kv:a", Ops.Put("x", "1")), Ops.On("kv:b", Ops.Put("y", "1")));
            body["timeout_ms"] = 1500;
            answer = await cluster.BatchAsync(body);
        }
        finally
        {
            await frozen.SignalAsync(pause: false);
        }

        output.WriteLine($"answered {answer.Status} {answer.Text} after {started.ElapsedMilliseconds} ms");
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"the batch took {started.Elapsed}");
        Assert.Equal("aborted", answer.TxStatus);
        await cluster.WaitSettledAsync();
        var (results, _) = await cluster.ReadAsync(null, Ops.On("kv:a", Ops.Get("x")), Ops.On("kv:b", Ops.Get("y")));
        Assert.Equal("0", results[0]!.GetValue<string>());
        Assert.Equal("0", results[1]!.GetValue<string>());
    }

    [Fact]
    public async Task HttpMessages_BatchAcrossNodes_CommitsOnBoth()
    {
        await using var cluster = await TestCluster.StartAsync([["kv:a"], ["kv:b"], []], output, nodeArguments: ["--messages", "http"]);
        await cluster.BatchOkAsync(Ops.On("kv:a", Ops.Put("x", "1")), Ops.On("kv:b", Ops.Put("y", "2")));
        await cluster.WaitSettledAsync();
        var (results, _) = await cluster.ReadAsync(cluster.Nodes[2], Ops.On("kv:a", Ops.Get("x")), Ops.On("kv:b", Ops.Get("y")));
        Assert.Equal("1", results[0]!.GetValue<string>());
        Assert.Equal("2", results[1]!.GetValue<string>());

        // The master timed the prepare round and the decision write (/metrics histograms).
        var metrics = (await cluster.Api.GetAsync(cluster.Master, "metrics")).Text.Split('\n');
        foreach (var name in new[] { "cohort_coordinator_prepare_seconds", "cohort_coordinator_decision_seconds" })
        {
            var count = metrics.Single(l => l.StartsWith(name + "_count ", StringComparison.Ordinal));
            Assert.True(long.Parse(count[(count.IndexOf(' ', StringComparison.Ordinal) + 1)..], System.Globalization.CultureInfo.InvariantCulture) >= 1, count);
            Assert.Contains(metrics, l => l.StartsWith(name + "_bucket{le=\"+Inf\"} ", StringComparison.Ordinal));
        }

        // And the process's own counters: a node that has served requests has used CPU and allocated.
        foreach (var name in new[] { "process_cpu_seconds_total", "dotnet_gc_allocated_bytes_total", "process_resident_memory_bytes" })
        {
            var line = metrics.Single(l => l.StartsWith(name + " ", StringComparison.Ordinal));
            Assert.True(double.Parse(line[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture) > 0, line);
        }

        Assert.Contains(metrics, l => l.StartsWith("dotnet_gc_collections_total{generation=\"0\"} ", StringComparison.Ordinal));

        // One transaction on an idle cluster: no phase-two backlog, so its caller did not wait for phase two.
        Assert.Contains("cohort_coordinator_phase_two_waits_total 0", metrics);
        Assert.Contains(metrics, l => l.StartsWith("cohort_coordinator_phase_two_pending ", StringComparison.Ordinal));
    }

    // Writes k0..k199 = v0..v199 on kv:b and returns a snapshot that sees them all.
    private static async Task<long> WriteKeysAsync(TestCluster cluster)
    {
        for (var start = 0; start < Keys; start += 50)
        {
            await cluster.BatchOkAsync([.. Enumerable.Range(start, 50).Select(k => Ops.On("kv:b", Ops.Put($"k{k}", $"v{k}")))]);
        }

        await cluster.WaitSettledAsync();
        var (_, asOf) = await cluster.ReadAsync(null, Ops.On("kv:b", Ops.Get("k0")));
        return asOf;
    }

    private static Value ReadBody(string key, long asOf, string resource = "kv:b") => Value.Map(
        ("resource", resource),
        ("op", Value.Map(("get", Value.Map(("key", key))))),
        ("as_of", asOf));
}
