using System.Globalization;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Cohort.IntegrationTests.Harness;

namespace Cohort.IntegrationTests;

/// <summary>
/// Issue 17, "bad input must get a 4xx problem, never a 500 or unbounded work": text that is not Unicode, numbers out of
/// range, oversized labels, amounts beyond a decimal, bodies that are not objects, unknown paths and methods, and the
/// bearer scheme in any case — on every POST endpoint (public, seed, cluster, internal and the node-to-node socket), from
/// the master and from a node that forwards; afterwards every node serves, nothing logged a failure, no data changed.
/// </summary>
public sealed partial class BadInputTests
{
    // Every endpoint that takes a JSON body, which is always an object.
    private static readonly string[] PostPaths =
    [
        "v1/tx", "v1/tx/{tx}/ops", "v1/batch", "v1/read", "v1/resources",
        "transaction", "prepare", "commit", "abort",
        "cluster/heartbeat", "cluster/join", "cluster/add", "cluster/remove",
        "internal/apply", "internal/prepare", "internal/batch", "internal/commit", "internal/commit-many",
        "internal/commit-one-phase", "internal/abort", "internal/read",
    ];

    private static string Bearer => "Bearer " + BadInputFixture.Token;

    [Fact]
    public async Task InvalidUtf8OrLoneSurrogate_OnEveryPostEndpoint_Gets400BadJson_AndLogsNoFailure()
    {
        byte[][] bodies =
        [
            [.. "{\"a\":\""u8, 0xFF, .. "\"}"u8],
            [.. "{\"label\":\"ok\",\"ops\":[{\"resource\":\"kv:a\",\"op\":{\"put\":{\"key\":\"k\",\"value\":\""u8, 0xC3, 0x28, .. "\"}}}]}"u8],
            [.. "{\""u8, 0xED, 0xA0, 0x80, .. "\":1}"u8],
            Encoding.ASCII.GetBytes("{\"a\":\"\\ud800\"}"),
            Encoding.ASCII.GetBytes("{\"ops\":[{\"resource\":\"kv:a\",\"op\":{\"put\":{\"key\":\"\\udc00k\",\"value\":1}}}]}"),
        ];
        foreach (var via in Entrances)
        {
            var tx = await Cluster.BeginAsync(via: via);
            foreach (var path in PostPaths)
            {
                foreach (var body in bodies)
                {
                    var answer = await Cluster.Api.SendBytesAsync(via, HttpMethod.Post, path.Replace("{tx}", tx, StringComparison.Ordinal), body, Bearer);
                    AssertProblem(answer, 400, "bad_json", $"{path} {Convert.ToHexString(body)} via {via}");
                    Assert.Contains("not valid Unicode", answer.Body["detail"]!.GetValue<string>());
                }
            }

            Assert.Equal("aborted", (await Cluster.AbortAsync(tx, via)).TxStatus);
        }

        AssertNothingLoggedAsFailed();
        await fixture.AssertUnharmedAsync();
    }

    [Fact]
    public async Task BodyThatIsNotAnObject_OnEveryPostEndpoint_Gets400BadJson()
    {
        foreach (var via in Entrances)
        {
            var tx = await Cluster.BeginAsync(via: via);
            foreach (var path in PostPaths)
            {
                foreach (var body in new[] { "[]", "\"s\"", "null", "1", "true", "[{\"resource\":\"kv:a\",\"op\":{\"put\":{\"key\":\"k\",\"value\":\"changed\"}}}]" })
                {
                    var answer = await Cluster.Api.SendRawAsync(via, HttpMethod.Post, path.Replace("{tx}", tx, StringComparison.Ordinal), body);
                    AssertProblem(answer, 400, "bad_json", $"{path} {body} via {via}");
                    Assert.Contains("must be a JSON object", answer.Body["detail"]!.GetValue<string>());
                }
            }

            var status = await Cluster.Api.GetAsync(via, $"v1/tx/{tx}");
            Assert.True(status.Body["participants"]!.AsArray().Count == 0, status.ToString());
            Assert.Equal("aborted", (await Cluster.AbortAsync(tx, via)).TxStatus);
        }

        AssertNothingLoggedAsFailed();
        await fixture.AssertUnharmedAsync();
    }

    /// <summary>Without the token, bad bodies are refused as unauthorized before they are read: no 500, nothing parsed.</summary>
    [Fact]
    public async Task BadBodies_WithoutTheToken_Get401BeforeTheyAreRead()
    {
        foreach (var via in Cluster.Nodes)
        {
            foreach (var path in PostPaths)
            {
                foreach (var body in new byte[][] { [.. "{\"a\":\""u8, 0xFF, .. "\"}"u8], "[]"u8.ToArray(), "{\"timeout_ms\":9223372036854775807}"u8.ToArray() })
                {
                    AssertProblem(await Cluster.Api.SendBytesAsync(via, HttpMethod.Post, path.Replace("{tx}", Guid.CreateVersion7().ToString(), StringComparison.Ordinal), body, "Bearer wrong"), 401, "unauthorized", $"{path} via {via}");
                }
            }
        }

        AssertNothingLoggedAsFailed();
        await fixture.AssertUnharmedAsync();
    }

    [Fact]
    public async Task InvalidTextOverTheNodeSocket_GetsABadJsonAnswerPerMessage_AndTheSocketKeepsServing()
    {
        var (_, asOf) = await Cluster.ReadAsync(Cluster.Master, Ops.On(A, Ops.Get("k")));
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", Bearer);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await socket.ConnectAsync(new Uri($"ws://{Cluster.Master.Address}/internal/ws"), timeout.Token);

        var read = $"\"path\":\"internal/read\",\"body\":{{\"resource\":\"{A}\",\"op\":{{\"get\":{{\"key\":\"k\"}}}},\"as_of\":";
        var good = read + asOf.ToString(CultureInfo.InvariantCulture) + "}}";
        byte[] frame =
        [
            .. "[{\"id\":2,\"path\":\"internal/abort\",\"body\":{\"tx_id\":\"\\ud800\",\"epoch\":0,\"resource\":\"kv:a\"}},"u8,
            .. "{\"id\":3,\"path\":\"internal/abort\",\"body\":[]},"u8,
            .. Encoding.UTF8.GetBytes("{\"id\":4," + read + "1e400}},"),
            .. Encoding.UTF8.GetBytes("{\"id\":5," + read + "18446744073709551616}},"),
            .. Encoding.UTF8.GetBytes("{\"id\":6," + good + "]"),
        ];
        await socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
        var answers = await ReceiveAnswersAsync(socket, 5, timeout.Token);

        // Invalid UTF-8 cannot travel in a text frame (below); in a binary frame it reaches the node, which refuses that
        // message alone.
        byte[] binary = [.. "[{\"id\":1,\"path\":\"internal/abort\",\"body\":{\"tx_id\":\""u8, 0xFF, .. Encoding.UTF8.GetBytes("\",\"epoch\":0,\"resource\":\"kv:a\"}},{\"id\":7," + good + "]")];
        await socket.SendAsync(binary, WebSocketMessageType.Binary, endOfMessage: true, timeout.Token);
        foreach (var (id, answer) in await ReceiveAnswersAsync(socket, 2, timeout.Token))
        {
            answers[id] = answer;
        }

        for (var id = 1; id <= 5; id++)
        {
            var answer = answers[id];
            Assert.True(answer["status"]!.GetValue<int>() == 400 && answer["body"]!["code"]!.GetValue<string>() == "bad_json", $"message {id}: {answer.ToJsonString()}");
        }

        foreach (var id in new[] { 6, 7 })
        {
            Assert.True(answers[id]["status"]!.GetValue<int>() == 200 && answers[id]["body"]!["result"]!.GetValue<string>() == "seed", answers[id].ToJsonString());
        }

        // A text frame that is not UTF-8 breaks the WebSocket protocol itself: the node closes that socket (1007).
        await socket.SendAsync((byte[])[.. "[{\"id\":8,\"path\":\""u8, 0xFF, .. "\"}]"u8], WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
        await AssertClosedAsync(socket, timeout.Token);

        // So does a frame that is not JSON at all (it has no message to answer); a new socket serves as before.
        using var second = new ClientWebSocket();
        second.Options.SetRequestHeader("Authorization", Bearer);
        await second.ConnectAsync(new Uri($"ws://{Cluster.Master.Address}/internal/ws"), timeout.Token);
        await second.SendAsync(Encoding.UTF8.GetBytes("[{\"id\":9," + good + "]"), WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
        Assert.Equal(200, (await ReceiveAnswersAsync(second, 1, timeout.Token))[9]["status"]!.GetValue<int>());
        await second.SendAsync("[{\"id\":10,"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
        await AssertClosedAsync(second, timeout.Token);

        AssertNothingLoggedAsFailed();
        await fixture.AssertUnharmedAsync();
    }

    [Fact]
    public async Task NumbersOutOfRange_Get400NamingTheFieldAndItsRange()
    {
        foreach (var via in Entrances)
        {
            var cases = new (string Path, string Body, int Status, string Code, string Named)[]
            {
                ("v1/tx", "{\"timeout_ms\":9223372036854775807}", 400, "bad_json", "'timeout_ms' must be an integer from 1 to 600000"),
                ("v1/tx", "{\"timeout_ms\":600001}", 400, "bad_json", "'timeout_ms' must be an integer from 1 to 600000"),
                ("v1/tx", "{\"timeout_ms\":0}", 400, "bad_json", "'timeout_ms'"),
                ("v1/tx", "{\"timeout_ms\":1.5}", 400, "bad_json", "'timeout_ms'"),
                ("v1/tx", "{\"timeout_ms\":1e400}", 400, "bad_json", "1e400"),
                ("v1/batch", "{\"timeout_ms\":9223372036854775807,\"ops\":[{\"resource\":\"kv:a\",\"op\":{\"put\":{\"key\":\"k\",\"value\":\"changed\"}}}]}", 400, "bad_json", "'timeout_ms'"),
                ("v1/read", "{\"as_of\":18446744073709551616,\"ops\":[{\"resource\":\"kv:a\",\"op\":{\"get\":{\"key\":\"k\"}}}]}", 400, "bad_json", "'as_of' must be an HLC timestamp, an integer from 0 to 9223372036854775807"),
                ("v1/read", "{\"as_of\":-1,\"ops\":[]}", 400, "bad_json", "'as_of'"),
                ("v1/read", "{\"as_of\":0.5,\"ops\":[]}", 400, "bad_json", "'as_of'"),
                ("v1/read", "{\"as_of\":true,\"ops\":[]}", 400, "bad_json", "'as_of'"),
                ("v1/read", "{\"as_of\":\"9999-12-31T00:00:00Z\",\"ops\":[]}", 400, "bad_json", "'as_of'"),
                ("v1/batch", "{\"ops\":[{\"resource\":\"kv:a\",\"op\":{\"put\":{\"key\":\"k\",\"value\":1e400}}}]}", 400, "bad_json", "1e400"),
                ("v1/batch", "{\"ops\":[{\"resource\":\"kv:a\",\"op\":{\"put\":{\"key\":\"k\",\"value\":-1e400}}}]}", 400, "bad_json", "-1e400"),
                ("v1/batch", "{\"ops\":[{\"resource\":\"kv:a\",\"op\":{\"put\":{\"key\":\"k\",\"value\":1e-400}}}]}", 400, "bad_json", "1e-400"),
                ("v1/batch", "{\"ops\":[{\"resource\":\"kv:a\",\"op\":{\"put\":{\"key\":\"k\",\"value\":1000000000000000000000000000000}}}]}", 400, "bad_json", "1000000000000000000000000000000"),
                ("v1/batch", "{\"ops\":[{\"resource\":\"kv:a\",\"op\":{\"put\":{\"key\":\"k\",\"value\":{\"$decimal\":\"0.12345678901234567890123456789012\"}}}}]}", 400, "bad_json", "$decimal"),
                ("v1/batch", "{\"ops\":[{\"resource\":\"kv:b\",\"op\":{\"scan\":{\"prefix\":\"\",\"limit\":9223372036854775807}}}]}", 400, "bad_operation", "'limit'"),
                ("v1/read", "{\"ops\":[{\"resource\":\"kv:b\",\"op\":{\"scan\":{\"prefix\":\"\",\"limit\":1e30}}}]}", 400, "bad_operation", "'limit'"),
                ("v1/batch", "{\"ops\":[{\"resource\":\"kv:a\",\"op\":{\"put\":{\"key\":\"k\",\"value\":\"changed\"}}},{\"resource\":\"resource:points\",\"op\":{\"mint\":{\"to\":\"eve\",\"amount\":\"10000000000000000000000000000000000000000\"}}}]}", 400, "bad_operation", "largest amount, 79228162514264337593543950335.00"),
                ("v1/batch", "{\"ops\":[{\"resource\":\"resource:points\",\"op\":{\"mint\":{\"to\":\"eve\",\"amount\":\"79228162514264337593543950335.01\"}}}]}", 400, "bad_operation", "largest amount"),
                ("v1/batch", "{\"ops\":[{\"resource\":\"resource:points\",\"op\":{\"mint\":{\"to\":\"eve\",\"amount\":1e40}}}]}", 400, "bad_operation", "never floating point"),
                ("v1/batch", "{\"ops\":[{\"resource\":\"resource:points\",\"op\":{\"mint\":{\"to\":\"eve\",\"amount\":\"79228162514264337593543950335\"}}}]}", 400, "bad_operation", "total supply"),
            };
            foreach (var (path, body, status, code, named) in cases)
            {
                var answer = await Cluster.Api.SendRawAsync(via, HttpMethod.Post, path, body);
                output.WriteLine($"{path} {body} -> {answer}");
                AssertProblem(answer, status, code, $"{path} {body} via {via}");
                Assert.Contains(named, answer.Body["detail"]!.GetValue<string>());
            }

            foreach (var query in new[] { "limit=99999999999999999999", "limit=0", "limit=1001", "limit=-1", "limit=abc", "after=zzz", "after=" + new string('f', 5000) })
            {
                AssertProblem(await Cluster.Api.GetAsync(via, "v1/tx?" + query), 400, "bad_operation", $"list {query} via {via}");
            }
        }

        AssertNothingLoggedAsFailed();
        await fixture.AssertUnharmedAsync();
    }

    [Fact]
    public async Task AcceptedNumbers_ComeBackWithTheSameValue()
    {
        const string Key = "issue17-numbers";
        var put = "{\"ops\":[{\"resource\":\"kv:a\",\"op\":{\"put\":{\"key\":\"" + Key + "\",\"value\":"
            + "{\"double\":1e30,\"tenth\":0.1,\"exact\":1.00000000000000000001,\"big\":79228162514264337593543950335,\"long\":9223372036854775807,\"tiny\":5e-324}}}}]}";
        var answer = await Cluster.Api.SendRawAsync(Cluster.Master, HttpMethod.Post, "v1/batch", put);
        Assert.True(answer.Status == 200 && answer.TxStatus == "committed", answer.ToString());

        foreach (var via in Cluster.Nodes)
        {
            var value = (await Cluster.ReadAsync(via, Ops.On(A, Ops.Get(Key)))).Results[0]!;
            Assert.Equal(1e30, value["double"]!.GetValue<double>());
            Assert.Equal(0.1, value["tenth"]!.GetValue<double>());
            Assert.Equal(5e-324, value["tiny"]!.GetValue<double>());
            Assert.Equal("1.00000000000000000001", value["exact"]!["$decimal"]!.GetValue<string>());
            Assert.Equal("79228162514264337593543950335", value["big"]!["$decimal"]!.GetValue<string>());
            Assert.Equal(long.MaxValue, value["long"]!.GetValue<long>());
        }

        await Cluster.BatchOkAsync(Ops.On(A, new JsonObject { ["delete"] = new JsonObject { ["key"] = Key } }));
        await fixture.AssertUnharmedAsync();
    }

    [Fact]
    public async Task Labels_AreCappedAt256Characters_AndOversizedOnesLeaveTheNodesMemoryBounded()
    {
        foreach (var via in Entrances)
        {
            var ok = await Cluster.Api.PostAsync(via, "v1/tx", new JsonObject { ["label"] = new string('l', 256) });
            Assert.True(ok.Status == 201, ok.ToString());
            Assert.Equal("aborted", (await Cluster.AbortAsync(ok.Body["tx_id"]!.GetValue<string>(), via)).TxStatus);
            AssertProblem(await Cluster.Api.PostAsync(via, "v1/tx", new JsonObject { ["label"] = new string('l', 257) }), 400, "bad_json", $"257 via {via}");
            AssertProblem(await Cluster.Api.PostAsync(via, "v1/tx", new JsonObject { ["label"] = 42 }), 400, "bad_json", $"number via {via}");
            AssertProblem(await Cluster.BatchAsync(new JsonObject { ["label"] = new string('l', 257), ["ops"] = new JsonArray(BadInputFixture.SneakyPut(A)) }, via), 400, "bad_json", $"batch via {via}");
        }

        var master = Cluster.Master;
        var before = ResidentBytes(master);
        var huge = new string('x', 900 * 1024);
        for (var i = 0; i < 200; i++)
        {
            var answer = i % 2 == 0
                ? await Cluster.Api.PostAsync(master, "v1/tx", new JsonObject { ["label"] = huge })
                : await Cluster.BatchAsync(new JsonObject { ["label"] = huge, ["ops"] = new JsonArray(BadInputFixture.SneakyPut(A)) });
            Assert.True(answer.Status == 400 && answer.Code == "bad_json", $"attempt {i}: {answer.Status} {answer.Code}");
        }

        var after = ResidentBytes(master);
        output.WriteLine($"master RSS {before / 1048576} MiB before, {after / 1048576} MiB after 200 labels of 900 KiB");

        // Kept, they would be 200 × 1.8 MB of UTF-16 at least; refused, only garbage the collector reclaims.
        Assert.True(after - before < 200L * 1024 * 1024, $"RSS grew from {before} to {after} bytes");
        var list = await Cluster.Api.GetAsync(master, "v1/tx");
        Assert.True(list.Text.Length < 1024 * 1024, $"GET /v1/tx answered {list.Text.Length} characters");
        await fixture.AssertUnharmedAsync();
    }

    [Fact]
    public async Task ListOfTransactions_IsPaged_WithABoundedDefault_AndACursor()
    {
        for (var i = 0; i < 5; i++)
        {
            var tx = await Cluster.BeginAsync();
            await Cluster.AbortAsync(tx);
        }

        foreach (var via in Entrances)
        {
            var seen = new List<string>();
            string? after = null;
            do
            {
                var page = await Cluster.Api.GetAsync(via, "v1/tx?state=aborted&limit=2" + (after is null ? string.Empty : "&after=" + after));
                Assert.True(page.Status == 200, page.ToString());
                var ids = page.Body["transactions"]!.AsArray().Select(t => t!["tx_id"]!.GetValue<string>()).ToList();
                Assert.InRange(ids.Count, 0, 2);
                seen.AddRange(ids);
                after = page.Body["next"]?.GetValue<string>();
                Assert.True(after is null || after == ids[^1], page.ToString());
            }
            while (after is not null);

            Assert.True(seen.Count >= 5, string.Join(",", seen));
            Assert.Equal(seen.Distinct().Count(), seen.Count);
            Assert.Equal([.. seen.Order(StringComparer.Ordinal)], seen);

            var first = await Cluster.Api.GetAsync(via, "v1/tx");
            Assert.InRange(first.Body["transactions"]!.AsArray().Count, 0, 100);
        }

        await fixture.AssertUnharmedAsync();
    }

    [Fact]
    public async Task UnknownPathOrWrongMethod_IsAProblemWithACode_AndTheBearerSchemeIsCaseInsensitive()
    {
        foreach (var via in Cluster.Nodes)
        {
            AssertProblem(await Cluster.Api.GetAsync(via, "v2/nothing"), 404, "not_found", $"unknown path via {via}");
            AssertProblem(await Cluster.Api.PostAsync(via, "nope", new JsonObject()), 404, "not_found", $"unknown POST via {via}");
            AssertProblem(await Cluster.Api.SendRawAsync(via, HttpMethod.Delete, "v1/tx", null), 405, "method_not_allowed", $"DELETE via {via}");
            AssertProblem(await Cluster.Api.GetAsync(via, "v1/batch"), 405, "method_not_allowed", $"GET batch via {via}");
            AssertProblem(await Cluster.Api.GetAsync(via, "v1/tx/%01"), 404, "unknown_transaction", $"control character id via {via}");

            foreach (var scheme in new[] { "bearer", "BEARER", "Bearer", "bEaReR" })
            {
                var answer = await Cluster.Api.SendBytesAsync(via, HttpMethod.Get, "cluster/nodes", null, $"{scheme} {BadInputFixture.Token}");
                Assert.True(answer.Status == 200, $"{scheme} via {via}: {answer}");
            }

            foreach (var header in new[] { "Basic " + BadInputFixture.Token, "Bearer" + BadInputFixture.Token, BadInputFixture.Token, "Bearer " + BadInputFixture.Token.ToUpperInvariant(), "Bearer " })
            {
                AssertProblem(await Cluster.Api.SendBytesAsync(via, HttpMethod.Get, "cluster/nodes", null, header), 401, "unauthorized", $"'{header}' via {via}");
            }

            // A NUL in the path is refused by Kestrel itself, before any of Cohort runs (it offers no hook for the
            // body: aspnet/KestrelHttpServer#2947): 400, and the node serves on.
            Assert.Equal(400, await RawStatusAsync(via, "GET /v1/tx/%00 HTTP/1.1"));
        }

        AssertNothingLoggedAsFailed();
        await fixture.AssertUnharmedAsync();
    }

    private void AssertNothingLoggedAsFailed()
    {
        foreach (var node in Cluster.Nodes)
        {
            // Log.RequestFailed (event 6002) is the one line a request that failed inside the node writes.
            Assert.False(node.Printed("[6002]"), $"{node} logged a failed request:\n{node.Tail()}");
        }
    }

    private static long ResidentBytes(NodeProcess node)
    {
        var status = File.ReadAllLines($"/proc/{node.ProcessId}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(status.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    private static async Task<int> RawStatusAsync(NodeProcess node, string requestLine)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", node.Port);
        await using var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{requestLine}\r\nHost: {node.Address}\r\nAuthorization: {Bearer}\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var statusLine = await reader.ReadLineAsync() ?? string.Empty;
        var parts = statusLine.Split(' ');
        return parts.Length > 1 && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var status) ? status : -1;
    }

    private static async Task AssertClosedAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        try
        {
            var closed = await socket.ReceiveAsync(new byte[1024].AsMemory(), cancellationToken);
            Assert.Equal(WebSocketMessageType.Close, closed.MessageType);
        }
        catch (WebSocketException)
        {
            // Closed without a close message: the same.
        }
    }

    private static async Task<Dictionary<int, JsonNode>> ReceiveAnswersAsync(ClientWebSocket socket, int count, CancellationToken cancellationToken)
    {
        var answers = new Dictionary<int, JsonNode>();
        var buffer = new byte[1 << 20];
        while (answers.Count < count)
        {
            var length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken);
                length += result.Count;
            }
            while (!result.EndOfMessage);

            Assert.True(result.MessageType == WebSocketMessageType.Text, $"{result.MessageType}: {socket.CloseStatus} {socket.CloseStatusDescription}");
            foreach (var message in JsonNode.Parse(buffer.AsSpan(0, length))!.AsArray())
            {
                answers[message!["id"]!.GetValue<int>()] = message;
            }
        }

        return answers;
    }
}
