using System.Text;
using System.Text.Json.Nodes;
using Cohort.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests;

/// <summary>
/// Issue 5, "bad input": malformed JSON, unknown resources and operations, wrong value types, an oversized body, an
/// unknown TxId, a commit after the deadline and a missing or wrong token each get a 4xx
/// <c>application/problem+json</c> answer with a stable code (the late commit excepted: see its test), from the master
/// and from a node that forwards to it; afterwards every node still serves and no data changed.
/// </summary>
[Trait("Category", "Integration")]
public sealed partial class BadInputTests(BadInputFixture fixture, ITestOutputHelper output) : IClassFixture<BadInputFixture>
{
    private const string A = BadInputFixture.A;
    private const string B = BadInputFixture.B;

    private TestCluster Cluster => fixture.Cluster;

    private IEnumerable<NodeProcess> Entrances => [Cluster.Master, Cluster.Nodes[1]];

    [Fact]
    public async Task MalformedJson_Gets400BadJson()
    {
        foreach (var via in Entrances)
        {
            var tx = await Cluster.BeginAsync(via: via);
            foreach (var (path, body) in new[]
            {
                ("v1/tx", "{not json"),
                ("v1/tx", "nope"),
                ("v1/batch", "{\"ops\":[{\"resource\":\"kv:a\",\"op\":{\"put\":{\"key\":\"k\",\"value\":\"changed\"}}}"),
                ("v1/batch", "[1,2"),
                ("v1/batch", string.Empty),
                ("v1/read", "{\"ops\":[{]}"),
                ($"v1/tx/{tx}/ops", "{\"resource\":\"kv:a\",\"op\":{\"put\":"),
                ($"v1/tx/{tx}/ops", "\u00ff\u00fe garbage"),
            })
            {
                var answer = await Cluster.Api.SendRawAsync(via, HttpMethod.Post, path, body);
                AssertProblem(answer, 400, "bad_json", $"{path} {body} via {via}");
            }

            // The open transaction is untouched by the bad requests sent to it, and can still be used and ended.
            var status = await Cluster.Api.GetAsync(via, $"v1/tx/{tx}");
            Assert.True(status.Status == 200 && status.Body["state"]!.GetValue<string>() == "active" && status.Body["participants"]!.AsArray().Count == 0, status.ToString());
            var abort = await Cluster.AbortAsync(tx, via);
            Assert.Equal("aborted", abort.TxStatus);
        }

        await fixture.AssertUnharmedAsync();
    }

    [Fact]
    public async Task UnknownResource_Gets404UnknownResource()
    {
        foreach (var via in Entrances)
        {
            AssertProblem(await Cluster.BatchAsync(Ops.Batch(BadInputFixture.SneakyPut(A), Ops.On("kv:nope", Ops.Put("k", "x"))), via), 404, "unknown_resource", $"batch via {via}");
            AssertProblem(await Cluster.BatchAsync(Ops.Batch(BadInputFixture.SneakyPut(A), Ops.On("sql:default@127.0.0.1:1", Ops.Sql("SELECT 1"))), via), 404, "unknown_resource", $"batch on a foreign shard via {via}");
            AssertProblem(await Cluster.Api.PostAsync(via, "v1/read", Ops.Batch(Ops.On("queue:nope", Ops.Size("q")))), 404, "unknown_resource", $"read via {via}");

            var tx = await Cluster.BeginAsync(via: via);
            await Cluster.ApplyOkAsync(tx, A, Ops.Put("k", "changed"), via);
            AssertProblem(await Cluster.ApplyAsync(tx, "kv:nope", Ops.Put("k", "x"), via), 404, "unknown_resource", $"ops via {via}");
            var abort = await Cluster.AbortAsync(tx, via);
            Assert.Equal("aborted", abort.TxStatus);
        }

        await fixture.AssertUnharmedAsync();
    }

    [Fact]
    public async Task UnknownOperation_Gets400UnknownOperation()
    {
        var frob = new JsonObject { ["frobnicate"] = new JsonObject { ["key"] = "k" } };
        foreach (var via in Entrances)
        {
            // In a batch next to a valid write: the whole batch is refused as bad input (and aborted).
            var batch = await Cluster.BatchAsync(Ops.Batch(BadInputFixture.SneakyPut(A), Ops.On(B, frob.DeepClone().AsObject())), via);
            AssertProblem(batch, 400, "unknown_operation", $"batch via {via}");
            Assert.Equal("aborted", batch.Body["outcome"]?.GetValue<string>());

            AssertProblem(await Cluster.Api.PostAsync(via, "v1/read", Ops.Batch(Ops.On(A, frob.DeepClone().AsObject()))), 400, "unknown_operation", $"read via {via}");

            var tx = await Cluster.BeginAsync(via: via);
            await Cluster.ApplyOkAsync(tx, B, Ops.Put("k2", "changed"), via);
            AssertProblem(await Cluster.ApplyAsync(tx, A, frob.DeepClone().AsObject(), via), 400, "unknown_operation", $"ops via {via}");
            var abort = await Cluster.AbortAsync(tx, via);
            Assert.Equal("aborted", abort.TxStatus);
        }

        await fixture.AssertUnharmedAsync();
    }

    [Fact]
    public async Task WrongValueTypes_Get400()
    {
        foreach (var via in Entrances)
        {
            var cases = new (string Path, JsonNode Body, string Code)[]
            {
                ("v1/batch", Ops.Batch(BadInputFixture.SneakyPut(A), Ops.On(B, new JsonObject { ["put"] = new JsonObject { ["key"] = 42, ["value"] = "x" } })), "bad_operation"),
                ("v1/batch", Ops.Batch(BadInputFixture.SneakyPut(A), Ops.On(BadInputFixture.Points, new JsonObject { ["transfer"] = new JsonObject { ["from"] = "system", ["to"] = "eve", ["amount"] = "lots" } })), "bad_operation"),
                ("v1/batch", Ops.Batch(BadInputFixture.SneakyPut(A), Ops.On(BadInputFixture.Points, new JsonObject { ["mint"] = new JsonObject { ["to"] = 7, ["amount"] = "1" } })), "bad_operation"),
                ("v1/batch", Ops.Batch(BadInputFixture.SneakyPut(B), Ops.On(fixture.Sql, Ops.Sql("INSERT INTO t (id, name) VALUES ($1, $2)", "two", 2))), "bad_operation"),
                ("v1/batch", Ops.Batch(BadInputFixture.SneakyPut(B), Ops.On(fixture.Sql, Ops.Sql("INSERT INTO t VALUES (2, 'two'"))), "sql_syntax"),
                ("v1/batch", Ops.Batch(BadInputFixture.SneakyPut(A), new JsonObject { ["resource"] = B, ["op"] = "put" }), "bad_operation"),
                ("v1/batch", new JsonObject { ["ops"] = "all of them" }, "bad_json"),
                ("v1/batch", new JsonObject { ["ops"] = new JsonArray(new JsonObject { ["resource"] = 5, ["op"] = Ops.Get("k") }) }, "bad_json"),
                ("v1/batch", new JsonObject { ["ops"] = new JsonArray(BadInputFixture.SneakyPut(A)), ["timeout_ms"] = -5 }, "bad_json"),
                ("v1/tx", new JsonObject { ["timeout_ms"] = "soon" }, "bad_json"),
                ("v1/read", new JsonObject { ["ops"] = new JsonArray(Ops.On(A, Ops.Get("k"))), ["as_of"] = "yesterday" }, "bad_json"),
            };
            foreach (var (path, body, code) in cases)
            {
                var answer = await Cluster.Api.PostAsync(via, path, body);
                output.WriteLine($"{path} {body.ToJsonString()} -> {answer}");
                AssertProblem(answer, 400, code, $"{path} {body.ToJsonString()} via {via}");
            }

            var tx = await Cluster.BeginAsync(via: via);
            AssertProblem(await Cluster.ApplyAsync(tx, A, new JsonObject { ["put"] = new JsonObject { ["key"] = new JsonArray(1), ["value"] = "x" } }, via), 400, "bad_operation", $"ops via {via}");
            AssertProblem(await Cluster.ApplyAsync(tx, BadInputFixture.Points, Ops.Transfer("system", "eve", -3m), via), 400, "bad_operation", $"negative transfer via {via}");
            var abort = await Cluster.AbortAsync(tx, via);
            Assert.Equal("aborted", abort.TxStatus);
        }

        await fixture.AssertUnharmedAsync();
    }

    [Fact]
    public async Task OversizedBody_Gets413TooLarge()
    {
        // A 1.5 MiB value: over the 1 MiB request limit of every node.
        var huge = new string('x', 1536 * 1024);
        foreach (var via in Entrances)
        {
            var batch = Ops.Batch(Ops.On(A, Ops.Put("k", huge)));
            AssertProblem(await Cluster.Api.PostAsync(via, "v1/batch", batch), 413, "too_large", $"batch via {via}");

            var tx = await Cluster.BeginAsync(via: via);
            AssertProblem(await Cluster.ApplyAsync(tx, B, Ops.Put("k", huge), via), 413, "too_large", $"ops via {via}");
            var commit = await Cluster.CommitAsync(tx, via);
            Assert.Equal("committed", commit.TxStatus);
        }

        await fixture.AssertUnharmedAsync();
    }

    [Fact]
    public async Task UnknownTxId_Gets404UnknownTransaction()
    {
        var unknown = Guid.CreateVersion7().ToString();
        foreach (var via in Entrances)
        {
            AssertProblem(await Cluster.Api.GetAsync(via, $"v1/tx/{unknown}"), 404, "unknown_transaction", $"status via {via}");
            AssertProblem(await Cluster.ApplyAsync(unknown, A, Ops.Put("k", "changed"), via), 404, "unknown_transaction", $"ops via {via}");
            AssertProblem(await Cluster.CommitAsync(unknown, via), 404, "unknown_transaction", $"commit via {via}");
            AssertProblem(await Cluster.AbortAsync(unknown, via), 404, "unknown_transaction", $"abort via {via}");
            AssertProblem(await Cluster.CommitAsync("not-a-tx-id", via), 404, "unknown_transaction", $"commit of a malformed id via {via}");
            AssertProblem(await Cluster.Api.GetAsync(via, "v1/tx?state=sleeping"), 400, "bad_operation", $"listing an unknown state via {via}");
        }

        await fixture.AssertUnharmedAsync();
    }

    /// <summary>
    /// Documented behaviour: once the deadline has passed, further operations get 410 <c>expired</c> (the first, which
    /// finds the transaction overdue) or 409 <c>aborted</c> (once the coordinator has aborted it), and commit answers
    /// 200 with <c>{"status":"aborted","code":"expired"}</c>: the definite outcome, not a problem, as for any commit
    /// that ends aborted.
    /// </summary>
    [Fact]
    public async Task CommitAfterDeadline_IsAbortedAsExpired()
    {
        foreach (var via in Entrances)
        {
            var tx = await Cluster.BeginAsync(timeoutMs: 1500, via: via);
            await Cluster.ApplyOkAsync(tx, A, Ops.Put("k", "late"), via);
            await Cluster.ApplyOkAsync(tx, B, Ops.Put("k", "late"), via);

            // The coordinator's overdue sweep aborts it once the deadline passes.
            await Wait.UntilAsync(
                async () => (await Cluster.Api.GetAsync(via, $"v1/tx/{tx}")).Body["state"]?.GetValue<string>() == "aborted",
                Wait.Long,
                $"{tx} to be aborted by its deadline");

            var late = await Cluster.ApplyAsync(tx, A, Ops.Put("k2", "late"), via);
            Assert.True(late.IsProblem && (late.Status, late.Code) is (410, "expired") or (409, "aborted"), $"op after the deadline: {late}");

            var commit = await Cluster.CommitAsync(tx, via);
            output.WriteLine($"commit after the deadline via {via}: {commit}");
            Assert.Equal(200, commit.Status);
            Assert.Equal("aborted", commit.TxStatus);
            Assert.Equal("expired", commit.Code);
            Assert.Equal(tx, commit.Body["tx_id"]!.GetValue<string>());
        }

        await fixture.AssertUnharmedAsync();
    }

    [Fact]
    public async Task MissingOrWrongToken_Gets401_HealthStaysOpen()
    {
        using var none = new ApiClient(null);
        using var wrong = new ApiClient("it-secret-tokeN");
        using var longer = new ApiClient(BadInputFixture.Token + "x");
        foreach (var via in Cluster.Nodes)
        {
            foreach (var client in new[] { none, wrong, longer })
            {
                AssertProblem(await client.PostAsync(via, "v1/batch", Ops.Batch(BadInputFixture.SneakyPut(A), BadInputFixture.SneakyPut(B))), 401, "unauthorized", $"batch via {via}");
                AssertProblem(await client.PostAsync(via, "v1/tx", new JsonObject()), 401, "unauthorized", $"begin via {via}");
                AssertProblem(await client.PostAsync(via, "v1/read", Ops.Batch(Ops.On(A, Ops.Get("k")))), 401, "unauthorized", $"read via {via}");
                AssertProblem(await client.GetAsync(via, "cluster/nodes"), 401, "unauthorized", $"cluster via {via}");
                AssertProblem(await client.GetAsync(via, "metrics"), 401, "unauthorized", $"metrics via {via}");
                AssertProblem(await client.PostAsync(via, "internal/abort", new JsonObject()), 401, "unauthorized", $"internal via {via}");
                AssertProblem(await client.PostAsync(via, "cluster/remove", new JsonObject { ["address"] = Cluster.Nodes[2 % Cluster.Nodes.Count].Address }), 401, "unauthorized", $"remove via {via}");
                var health = await client.GetAsync(via, "health");
                Assert.True(health.Status == 200, $"health via {via}: {health}");
            }
        }

        // "Bearer" is required: the bare token is not enough.
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Cluster.Master.BaseUri, "cluster/nodes"));
        request.Headers.TryAddWithoutValidation("Authorization", BadInputFixture.Token);
        using var response = await http.SendAsync(request);
        Assert.Equal(401, (int)response.StatusCode);

        await Cluster.WaitAllAliveAsync();
        await fixture.AssertUnharmedAsync();
    }

    private static void AssertProblem(ApiResponse answer, int status, string code, string what)
    {
        Assert.True(answer.Status == status, $"{what}: expected {status} {code}, got {answer}");
        Assert.True(answer.IsProblem, $"{what}: expected application/problem+json, got {answer.MediaType}: {answer.Text}");
        Assert.True(answer.Code == code, $"{what}: expected code {code}, got {answer}");
        Assert.Equal(status, answer.Body["status"]?.GetValue<int>());
    }
}
