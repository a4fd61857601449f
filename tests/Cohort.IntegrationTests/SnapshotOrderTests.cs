using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Cohort.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests;

/// <summary>
/// Issue 16, with real node processes: snapshots (<c>/v1/read</c>) never show a state that no serial order explains,
/// and every committed answer carries a commit timestamp usable as <c>as_of</c>.
/// </summary>
[Trait("Category", "Integration")]
[Collection(RunsAlone.Name)]
public sealed class SnapshotOrderTests(ITestOutputHelper output)
{
    /// <summary>
    /// T1 reads <c>a</c> on kv:x (the master) and writes kv:y and kv:z; kv:z's node is frozen (SIGSTOP) while T1
    /// commits, so the reader kv:x votes long before kv:z. T2 then overwrites <c>a</c> in one phase. T1 read <c>a</c>
    /// before T2 wrote it, so T1 precedes T2: a snapshot taken right after T2's commit must show T1's writes, and T1's
    /// commit timestamp must be below T2's. Before the fix kv:x dropped T1's shared lock at its vote, T2 committed within
    /// milliseconds, and the snapshot showed T2's <c>a</c> without T1's <c>y</c>.
    /// </summary>
    [Fact]
    public async Task SlowParticipant_WriterOfAKeyTheTransactionRead_NeverAppearsInASnapshotWithoutIt()
    {
        const int Rounds = 20;
        await using var cluster = await TestCluster.StartAsync([["kv:x"], ["kv:y"], ["kv:z"]], output);
        var slow = cluster.Nodes[2];
        var waited = 0;
        for (var round = 0; round < Rounds; round++)
        {
            var a = $"a{round}";
            var y = $"y{round}";
            await cluster.BatchOkAsync(Ops.On("kv:x", Ops.Put(a, "old")));

            var t1 = await cluster.BeginAsync(20_000);
            Assert.Equal("old", (await cluster.ApplyOkAsync(t1, "kv:x", Ops.Get(a)))!.GetValue<string>());
            await cluster.ApplyOkAsync(t1, "kv:y", Ops.Put(y, "t1"));
            await cluster.ApplyOkAsync(t1, "kv:z", Ops.Put($"z{round}", "t1"));

            await slow.SignalAsync(pause: true);
            Task<ApiResponse> t1Commit;
            Task<ApiResponse> t2;
            Task<(JsonArray Results, long AsOf)> snapshot;
            var paused = Stopwatch.StartNew();
            try
            {
                t1Commit = cluster.CommitAsync(t1);

                // kv:x and kv:y vote at once; kv:z cannot.
                await Task.Delay(200);
                t2 = cluster.BatchAsync(Ops.Batch(Ops.On("kv:x", Ops.Put(a, "new"))));

                // Right after T2's answer, a snapshot at "now" of what T2 wrote and what T1 wrote.
                snapshot = ReadAfterAsync(t2, cluster, Ops.On("kv:x", Ops.Get(a)), Ops.On("kv:y", Ops.Get(y)));
                if (await Task.WhenAny(t2, Task.Delay(TimeSpan.FromMilliseconds(1000))) != t2)
                {
                    waited++;
                }
            }
            finally
            {
                await slow.SignalAsync(pause: false);
            }

            var first = await t1Commit;
            var second = await t2;
            var (seen, asOf) = await snapshot;
            Assert.True(first.TxStatus == "committed", $"round {round}, T1: {first}");
            Assert.True(second.TxStatus == "committed", $"round {round}, T2: {second}");
            var ts1 = first.Body["commit_ts"]!.GetValue<long>();
            var ts2 = second.Body["commit_ts"]!.GetValue<long>();
            output.WriteLine($"round {round}: T1 at {ts1}, T2 at {ts2}, snapshot at {asOf}: a={Ops.Text(seen[0])} y={Ops.Text(seen[1])}; kv:z paused {paused.ElapsedMilliseconds} ms");
            Assert.True(ts1 > 0 && ts2 > 0, $"round {round}: commit_ts missing ({ts1}, {ts2})");
            Assert.True(ts1 < ts2, $"round {round}: T1 read a before T2 overwrote it, yet T1 committed at {ts1}, above T2 at {ts2}");
            if (seen[0]!.GetValue<string>() == "new")
            {
                Assert.True(Ops.Text(seen[1]) == "\"t1\"", $"round {round}: the snapshot at {asOf} shows T2's a=new without T1's y (saw {Ops.Text(seen[1])})");
            }

            // And at exactly T2's commit timestamp: both.
            var atT2 = await ReadAtAsync(cluster, ts2, Ops.On("kv:x", Ops.Get(a)), Ops.On("kv:y", Ops.Get(y)));
            Assert.Equal("\"new\"", Ops.Text(atT2[0]));
            Assert.Equal("\"t1\"", Ops.Text(atT2[1]));
        }

        output.WriteLine($"{Rounds} rounds: T2 waited for T1's outcome in {waited}; no snapshot showed T2 without T1");
        Assert.Equal(Rounds, waited); // T1's shared lock on a holds T2 back until kv:z resumes and T1 commits
        await cluster.WaitSettledAsync();
    }

    /// <summary>
    /// Every committed answer carries its commit timestamp — one-phase, two-phase, read-only and batch commits — and a
    /// snapshot read as of it sees the writes (read your writes); <c>GET /v1/tx/{id}</c> shows the same timestamp.
    /// </summary>
    [Fact]
    public async Task EveryCommittedAnswer_HasACommitTimestamp_UsableAsAsOf()
    {
        await using var cluster = await TestCluster.StartAsync([["kv:x"], ["kv:y"]], output);

        var one = await cluster.BeginAsync();
        await cluster.ApplyOkAsync(one, "kv:y", Ops.Put("one", "1"));
        var onePhase = await cluster.CommitAsync(one);

        var two = await cluster.BeginAsync();
        await cluster.ApplyOkAsync(two, "kv:x", Ops.Put("two", "2"));
        await cluster.ApplyOkAsync(two, "kv:y", Ops.Put("two", "2"));
        var twoPhase = await cluster.CommitAsync(two);

        var read = await cluster.BeginAsync();
        await cluster.ApplyOkAsync(read, "kv:x", Ops.Get("two"));
        await cluster.ApplyOkAsync(read, "kv:y", Ops.Get("one"));
        var readOnly = await cluster.CommitAsync(read);

        var batch = await cluster.BatchAsync(Ops.Batch(Ops.On("kv:x", Ops.Put("batch", "3"))));
        foreach (var (name, answer, resource, key, value) in new[]
        {
            ("one-phase", onePhase, "kv:y", "one", "1"), ("two-phase", twoPhase, "kv:y", "two", "2"),
            ("read-only", readOnly, "kv:x", "two", "2"), ("batch", batch, "kv:x", "batch", "3"),
        })
        {
            Assert.True(answer.TxStatus == "committed", $"{name}: {answer}");
            var at = answer.Body["commit_ts"]!.GetValue<long>();
            Assert.True(at > 0, $"{name}: commit_ts {at}");
            var seen = await ReadAtAsync(cluster, at, Ops.On(resource, Ops.Get(key)));
            Assert.True(Ops.Text(seen[0]) == $"\"{value}\"", $"{name}: a snapshot as of its commit_ts {at} reads {Ops.Text(seen[0])}");
            var status = await cluster.Api.GetAsync(cluster.Master, $"v1/tx/{answer.Body["tx_id"]!.GetValue<string>()}");
            Assert.Equal(at, status.Body["commit_ts"]!.GetValue<long>());
        }

        // A write is invisible just below its own commit timestamp.
        var below = await ReadAtAsync(cluster, onePhase.Body["commit_ts"]!.GetValue<long>() - 1, Ops.On("kv:y", Ops.Get("one")));
        Assert.Equal("null", Ops.Text(below[0]));
    }

    /// <summary>
    /// Clients run transactions that read some keys and append to others across three nodes (each key's value is the
    /// list of its appends) while other clients take snapshots of every key and a pauser freezes participant nodes. The
    /// history is checked as a list-append history: every list seen is a prefix of the key's final list; the
    /// dependencies implied by the reads (write-write, write-read, read-write) form no cycle and every one of them goes
    /// up in commit timestamp; and each snapshot at S shows exactly the appends of the transactions committed at or
    /// below S.
    /// </summary>
    [Fact]
    public async Task ListAppend_WithPausedNodes_SnapshotsAndCommitTimestampsFollowTheDependencyOrder()
    {
        var seconds = TestSettings.Int("COHORT_LIST_APPEND_SECONDS", 20);
        var seed = TestSettings.Int("COHORT_LIST_APPEND_SEED", Environment.TickCount & 0x7fffffff);
        const int Clients = 6;
        const int Snapshotters = 2;
        string[] resources = ["kv:a", "kv:b", "kv:c"];
        var keys = resources.SelectMany(r => Enumerable.Range(0, 3).Select(i => (Resource: r, Key: $"k{i}"))).ToArray();
        output.WriteLine($"list-append: {seconds}s, {Clients} clients, {Snapshotters} snapshot readers, {keys.Length} keys on 3 nodes, seed {seed}");

        await using var cluster = await TestCluster.StartAsync([[resources[0]], [resources[1]], [resources[2]]], output);
        var history = new History();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var nextElement = 0;
        var pauses = 0;

        var clients = Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            var random = new Random(seed + c);
            while (!stop.IsCancellationRequested)
            {
                await RunTransactionAsync(cluster, history, keys, random, () => Interlocked.Increment(ref nextElement));
            }
        })).ToList();
        var snapshotters = Enumerable.Range(0, Snapshotters).Select(s => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var via = cluster.Nodes[s % cluster.Nodes.Count];
                var answer = await cluster.Api.PostAsync(via, "v1/read", Ops.Batch([.. keys.Select(k => Ops.On(k.Resource, Ops.Get(k.Key)))]));
                if (answer.Status == 200)
                {
                    var results = answer.Body["results"]!.AsArray();
                    history.Snapshots.Add((answer.Body["as_of"]!.GetValue<long>(), [.. results.Select(List)]));
                }

                await Task.Delay(20);
            }
        })).ToList();
        var pauser = Task.Run(async () =>
        {
            var random = new Random(seed ^ 0x5eed);
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(random.Next(500, 1500));
                var victim = cluster.Nodes[random.Next(1, cluster.Nodes.Count)];
                await victim.SignalAsync(pause: true);
                try
                {
                    await Task.Delay(random.Next(200, 1200));
                }
                finally
                {
                    await victim.SignalAsync(pause: false);
                }

                pauses++;
            }
        });

        await Task.WhenAll([.. clients, .. snapshotters, pauser]);
        await cluster.WaitSettledAsync();

        // The final state, and the outcome of every transaction whose answer was not clear.
        var final = (await cluster.ReadAsync(null, [.. keys.Select(k => Ops.On(k.Resource, Ops.Get(k.Key)))])).Results.Select(List).ToArray();
        foreach (var tx in history.Transactions.Where(t => t.Status is null))
        {
            var status = await cluster.Api.GetAsync(cluster.Master, $"v1/tx/{tx.Id}");
            if (status.Status == 200 && status.Body["state"]?.GetValue<string>() == "committed")
            {
                tx.Status = "committed";
                tx.CommitTs = status.Body["commit_ts"]!.GetValue<long>();
            }
            else if (status.Status == 200 && status.Body["state"]?.GetValue<string>() == "aborted")
            {
                tx.Status = "aborted";
            }
        }

        var report = Check(history, keys.Length, final);
        output.WriteLine(report);
        output.WriteLine($"node pauses: {pauses}");

        // The history must have been worth checking.
        Assert.True(history.Transactions.Count(t => t.Status == "committed" && t.Appends.Count > 0) >= 50, "fewer than 50 committed writers");
        Assert.True(history.Snapshots.Count >= 20, "fewer than 20 snapshots");
        Assert.True(pauses >= 3, $"only {pauses} node pauses");
    }

    private static async Task RunTransactionAsync(TestCluster cluster, History history, (string Resource, string Key)[] keys, Random random, Func<int> element)
    {
        // 1-2 keys only read, 0-2 appended (read, then written back with one more element); spread over the nodes.
        var chosen = keys.Select((k, i) => i).OrderBy(_ => random.Next()).Take(random.Next(2, 5)).ToList();
        var appendCount = random.Next(0, Math.Min(3, chosen.Count));
        var tx = new Transaction();
        var begin = await cluster.Api.PostAsync(cluster.Master, "v1/tx", new JsonObject { ["timeout_ms"] = 5000 });
        if (begin.Status != 201)
        {
            await Task.Delay(50);
            return;
        }

        tx.Id = begin.Body["tx_id"]!.GetValue<string>();
        history.Transactions.Add(tx);
        for (var i = 0; i < chosen.Count; i++)
        {
            var (resource, key) = keys[chosen[i]];
            var read = await cluster.ApplyAsync(tx.Id, resource, Ops.Get(key));
            if (read.Status != 200)
            {
                await cluster.AbortAsync(tx.Id);
                tx.Status = "aborted";
                return;
            }

            var list = List(read.Body["result"]);
            tx.Reads[chosen[i]] = list;
            if (i < appendCount)
            {
                var value = element();
                var written = new JsonArray([.. list.Select(e => (JsonNode?)JsonValue.Create(e)), JsonValue.Create(value)]);
                var put = await cluster.ApplyAsync(tx.Id, resource, Ops.Put(key, written));
                tx.Appends[chosen[i]] = value;
                if (put.Status != 200)
                {
                    await cluster.AbortAsync(tx.Id);
                    tx.Status = "aborted";
                    return;
                }
            }
        }

        var commit = await cluster.CommitAsync(tx.Id);
        if (commit.TxStatus == "committed")
        {
            tx.Status = "committed";
            tx.CommitTs = commit.Body["commit_ts"]!.GetValue<long>();
        }
        else if (commit.TxStatus == "aborted")
        {
            tx.Status = "aborted";
        }
    }

    private static string Check(History history, int keyCount, List<int>[] final)
    {
        var committed = history.Transactions.Where(t => t.Status == "committed").ToList();
        var writerOf = new Dictionary<int, Transaction>();
        foreach (var tx in history.Transactions)
        {
            foreach (var (_, e) in tx.Appends)
            {
                writerOf[e] = tx;
            }
        }

        // Every list seen is a prefix of the key's final list; the final lists hold each committed append once and no
        // aborted one.
        var lists = 0;
        void Prefix(int key, List<int> seen, string where)
        {
            lists++;
            Assert.True(
                seen.Count <= final[key].Count && seen.SequenceEqual(final[key].Take(seen.Count)),
                $"{where}: key {key} read [{string.Join(",", seen)}], not a prefix of its final [{string.Join(",", final[key])}]");
        }

        foreach (var tx in committed)
        {
            foreach (var (key, seen) in tx.Reads)
            {
                Prefix(key, seen, $"tx {tx.Id}");
            }

            foreach (var (key, e) in tx.Appends)
            {
                Assert.True(final[key].Count(x => x == e) == 1, $"committed tx {tx.Id}: its append {e} to key {key} is not in the final list exactly once");
            }
        }

        foreach (var (asOf, seen) in history.Snapshots)
        {
            for (var key = 0; key < keyCount; key++)
            {
                Prefix(key, seen[key], $"snapshot at {asOf}");
            }
        }

        for (var key = 0; key < keyCount; key++)
        {
            foreach (var e in final[key])
            {
                Assert.True(writerOf.TryGetValue(e, out var w) && w.Status != "aborted", $"key {key}: element {e} was appended by a transaction reported aborted (or by none)");
                Assert.True(w!.Status == "committed", $"element {e} is in the final state but its transaction {w.Id} was never found committed");
            }
        }

        // The dependency graph of the committed transactions (Adya: ww, wr, rw), which must be acyclic, and in which
        // every edge goes up in commit timestamp (a read-only transaction's reported timestamp bounds its reads only, so
        // its outgoing rw edges are not held to it).
        var edges = new List<(Transaction From, Transaction To, string Kind)>();
        for (var key = 0; key < keyCount; key++)
        {
            for (var i = 0; i + 1 < final[key].Count; i++)
            {
                edges.Add((writerOf[final[key][i]], writerOf[final[key][i + 1]], "ww"));
            }
        }

        foreach (var tx in committed)
        {
            foreach (var (key, seen) in tx.Reads)
            {
                if (seen.Count > 0 && writerOf[seen[^1]] != tx)
                {
                    edges.Add((writerOf[seen[^1]], tx, "wr"));
                }

                if (seen.Count < final[key].Count && writerOf[final[key][seen.Count]] != tx)
                {
                    edges.Add((tx, writerOf[final[key][seen.Count]], "rw"));
                }
            }
        }

        foreach (var (from, to, kind) in edges)
        {
            if (kind == "rw" && from.Appends.Count == 0)
            {
                continue;
            }

            Assert.True(from.CommitTs < to.CommitTs, $"{kind} dependency {from.Id} -> {to.Id} goes down in commit timestamp ({from.CommitTs} -> {to.CommitTs})");
        }

        var cycle = FindCycle(committed, edges);
        Assert.True(cycle is null, $"dependency cycle: {cycle}");

        // Each snapshot at S shows exactly the appends of the transactions committed at or below S.
        foreach (var (asOf, seen) in history.Snapshots)
        {
            for (var key = 0; key < keyCount; key++)
            {
                var expected = final[key].Where(e => writerOf[e].CommitTs <= asOf).ToList();
                Assert.True(
                    seen[key].SequenceEqual(expected),
                    $"snapshot at {asOf}, key {key}: saw [{string.Join(",", seen[key])}], the commits at or below it are [{string.Join(",", expected)}]");
            }
        }

        // Anti-dependencies from writers are what the bug broke: the history must hold enough of them.
        Assert.True(edges.Count(e => e.Kind == "rw" && e.From.Appends.Count > 0) >= 20, "fewer than 20 rw edges from writing transactions");
        var readOnly = committed.Count(t => t.Appends.Count == 0);
        return $"{history.Transactions.Count} transactions: {committed.Count} committed ({readOnly} read-only), "
            + $"{history.Transactions.Count(t => t.Status == "aborted")} aborted, {history.Transactions.Count(t => t.Status is null)} unknown; "
            + $"{history.Snapshots.Count} snapshots; {lists} lists checked as prefixes; {edges.Count} dependency edges "
            + $"({edges.Count(e => e.Kind == "ww")} ww, {edges.Count(e => e.Kind == "wr")} wr, {edges.Count(e => e.Kind == "rw")} rw), no cycle, all in commit-timestamp order";
    }

    private static string? FindCycle(List<Transaction> nodes, List<(Transaction From, Transaction To, string Kind)> edges)
    {
        var next = edges.GroupBy(e => e.From).ToDictionary(g => g.Key, g => g.ToList());
        var state = new Dictionary<Transaction, int>();
        foreach (var start in nodes)
        {
            if (state.ContainsKey(start))
            {
                continue;
            }

            // Iterative depth-first search: 1 = on the stack, 2 = done.
            var stack = new Stack<(Transaction Node, int Edge)>();
            stack.Push((start, 0));
            state[start] = 1;
            while (stack.Count > 0)
            {
                var (node, edge) = stack.Pop();
                var outgoing = next.GetValueOrDefault(node) ?? [];
                if (edge < outgoing.Count)
                {
                    stack.Push((node, edge + 1));
                    var to = outgoing[edge].To;
                    if (state.GetValueOrDefault(to) == 1)
                    {
                        return $"{string.Join(" -> ", stack.Reverse().Select(s => s.Node.Id))} -> {to.Id} ({outgoing[edge].Kind})";
                    }

                    if (!state.ContainsKey(to))
                    {
                        state[to] = 1;
                        stack.Push((to, 0));
                    }
                }
                else
                {
                    state[node] = 2;
                }
            }
        }

        return null;
    }

    private static async Task<(JsonArray Results, long AsOf)> ReadAfterAsync(Task<ApiResponse> after, TestCluster cluster, params JsonObject[] ops)
    {
        await after;
        return await cluster.ReadAsync(null, ops);
    }

    private static async Task<JsonArray> ReadAtAsync(TestCluster cluster, long asOf, params JsonObject[] ops)
    {
        var body = Ops.Batch(ops);
        body["as_of"] = asOf;
        var answer = await cluster.Api.PostAsync(cluster.Master, "v1/read", body);
        Assert.True(answer.Status == 200, $"read as of {asOf}: {answer}");
        Assert.Equal(asOf, answer.Body["as_of"]!.GetValue<long>());
        return answer.Body["results"]!.AsArray();
    }

    private static List<int> List(JsonNode? node) => node is JsonArray array ? [.. array.Select(e => e!.GetValue<int>())] : [];


    private sealed class History
    {
        public System.Collections.Concurrent.ConcurrentBag<Transaction> Transactions { get; } = [];

        public System.Collections.Concurrent.ConcurrentBag<(long AsOf, List<int>[] Lists)> Snapshots { get; } = [];
    }

    private sealed class Transaction
    {
        public string Id { get; set; } = "";

        public Dictionary<int, List<int>> Reads { get; } = [];

        public Dictionary<int, int> Appends { get; } = [];

        public string? Status { get; set; }

        public long CommitTs { get; set; }
    }
}
