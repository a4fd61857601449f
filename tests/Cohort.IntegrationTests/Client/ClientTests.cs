using System.Diagnostics;
using Cohort.Client;
using Cohort.Core;
using Cohort.IntegrationTests.Harness;
using Cohort.Protocol;

namespace Cohort.IntegrationTests.Client;

/// <summary>
/// Issue 8: <see cref="CohortClient"/> against a real three-node cluster: every typed operation, batches and snapshot
/// reads, aborts that say why, disposal that aborts, and a client that knows only a non-master node or a dead one.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ClientTests(ClientFixture fixture) : IClassFixture<ClientFixture>
{
    private const string Kv = ClientFixture.Kv;
    private const string Queue = ClientFixture.Queue;
    private const string Points = ClientFixture.Points;
    private const string Sql = ClientFixture.Sql;

    private static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task Kv_EveryOperation_SeesOwnWritesThenCommitsAndReadsAtASnapshot()
    {
        using var client = fixture.NewClient();
        var p = Unique("kv-");
        await using (var tx = await client.BeginAsync(TimeSpan.FromSeconds(30), "kv test"))
        {
            var kv = tx.Kv(Kv);
            Assert.True((await kv.GetAsync(p + ":a")).IsNull);
            await kv.PutAsync(p + ":a", "Alice");
            await kv.PutAsync(p + ":b", Value.Map(("theme", "dark"), ("n", 3)));
            await kv.PutAsync(p + ":c", 42);
            Assert.Equal("Alice", await kv.GetStringAsync(p + ":a"));
            Assert.True(await kv.DeleteAsync(p + ":c"));
            Assert.False(await kv.DeleteAsync(p + ":missing"));
            var scanned = await kv.ScanAsync(p + ":");
            Assert.Equal([p + ":a", p + ":b"], scanned.Select(e => e.Key));
            var range = await kv.ScanRangeAsync(p + ":b", p + ":z");
            Assert.Equal(p + ":b", Assert.Single(range).Key);
            var committed = await tx.CommitAsync();
            Assert.Equal(tx.Id, committed.TxId);
            Assert.True(tx.IsFinished);
        }

        var snapshot = client.Snapshot();
        Assert.Equal("Alice", await snapshot.Kv(Kv).GetStringAsync(p + ":a"));
        var prefs = await snapshot.Kv(Kv).GetAsync(p + ":b");
        Assert.Equal("dark", prefs.AsMap()["theme"].AsString());
        Assert.Equal(3, prefs.AsMap()["n"].AsInt64());
        Assert.True((await snapshot.Kv(Kv).GetAsync(p + ":c")).IsNull);
        Assert.Equal(2, (await snapshot.Kv(Kv).ScanAsync(p + ":")).Count);
        Assert.NotNull(snapshot.AsOf);
    }

    /// <summary>Issue 16: every commit result carries a real timestamp, and a snapshot as of it reads the writes.</summary>
    [Fact]
    public async Task CommitTimestamp_OfOnePhaseTwoPhaseReadOnlyAndBatchCommits_IsUsableAsASnapshot()
    {
        using var client = fixture.NewClient();
        var p = Unique("ts-");

        // One participant: one-phase commit.
        CommitResult onePhase;
        await using (var tx = await client.BeginAsync())
        {
            await tx.Kv(Kv).PutAsync(p + ":one", "1");
            onePhase = await tx.CommitAsync();
        }

        // Two participants: two-phase commit.
        CommitResult twoPhase;
        await using (var tx = await client.BeginAsync())
        {
            await tx.Kv(Kv).PutAsync(p + ":two", "2");
            await tx.Queue(Queue).EnqueueAsync(p, "2");
            twoPhase = await tx.CommitAsync();
        }

        // Reads only, on two participants: the time it read at.
        CommitResult readOnly;
        await using (var tx = await client.BeginAsync())
        {
            Assert.Equal("2", await tx.Kv(Kv).GetStringAsync(p + ":two"));
            Assert.Equal(1, await tx.Queue(Queue).SizeAsync(p));
            readOnly = await tx.CommitAsync();
        }

        var batch = await client.BatchAsync([CohortOps.KvPut(Kv, p + ":batch", "3")]);
        foreach (var (name, at, key, value) in new[] { ("one-phase", onePhase.CommitTimestamp, p + ":one", "1"), ("two-phase", twoPhase.CommitTimestamp, p + ":two", "2"), ("read-only", readOnly.CommitTimestamp, p + ":two", "2"), ("batch", batch.CommitTimestamp, p + ":batch", "3") })
        {
            Assert.True(at.Value > 0, $"{name}: commit timestamp is zero");
            Assert.True(at.ToDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5), $"{name}: {at} is not a recent time");
            Assert.Equal(value, await client.Snapshot(at).Kv(Kv).GetStringAsync(key));
        }

        Assert.True(onePhase.CommitTimestamp < twoPhase.CommitTimestamp);
        Assert.True(twoPhase.CommitTimestamp < readOnly.CommitTimestamp);
        Assert.Equal(onePhase.CommitTimestamp, (await client.GetTransactionAsync(onePhase.TxId)).CommitTimestamp);
    }

    [Fact]
    public async Task Queue_EveryOperation_IsFifoWithinATransactionAndAfterCommit()
    {
        using var client = fixture.NewClient();
        var q = Unique("q-");
        await using (var tx = await client.BeginAsync())
        {
            var queue = tx.Queue(Queue);
            Assert.True(await queue.IsEmptyAsync(q));
            await queue.EnqueueAsync(q, "first");
            await queue.EnqueueAsync(q, Value.Map(("n", 2)));
            await queue.EnqueueAsync(q, "third");
            Assert.Equal(3, await queue.SizeAsync(q));
            Assert.Equal("first", (await queue.PeekAsync(q)).AsString());
            Assert.False(await queue.IsEmptyAsync(q));
            await tx.CommitAsync();
        }

        await using (var tx = await client.BeginAsync())
        {
            var queue = tx.Queue(Queue);
            Assert.Equal("first", (await queue.DequeueAsync(q)).AsString());
            Assert.Equal(2, (await queue.DequeueAsync(q)).AsMap()["n"].AsInt64());
            Assert.Equal(1, await queue.SizeAsync(q));
            await tx.CommitAsync();
        }

        Assert.Equal("third", (await client.Snapshot().Queue(Queue).PeekAsync(q)).AsString());
        await using (var tx = await client.BeginAsync())
        {
            Assert.Equal(1, await tx.Queue(Queue).ClearAsync(q));
            Assert.True((await tx.Queue(Queue).DequeueAsync(q)).IsNull);
            await tx.CommitAsync();
        }

        Assert.Equal(0, await client.Snapshot().Queue(Queue).SizeAsync(q));
    }

    [Fact]
    public async Task Resource_EveryOperation_OnANewlyCreatedResource_KeepsExactBalances()
    {
        using var client = fixture.NewClient();
        var name = Unique("resource:t");
        var created = await client.CreateResourceAsync(name, fixture.Cluster.Nodes[1].Address);
        Assert.Equal(fixture.Cluster.Nodes[1].Address, created.Node);
        await Wait.UntilAsync(async () => (await client.ListResourcesAsync()).Any(r => r.Name == name), Wait.Long, $"{name} listed");

        await using (var tx = await client.BeginAsync())
        {
            var token = tx.Resource(name);
            var metadata = await token.InitializeAsync("TOK", 2, [new("issuer", "tests")]);
            Assert.Equal("TOK", metadata.AsMap()["symbol"].AsString());
            await token.MintAsync("a", 100.50m);
            await token.TransferAsync("a", "b", 40.25m);
            await token.BurnAsync("b", 0.25m);
            Assert.Equal(60.25m, await token.BalanceAsync("a"));
            Assert.Equal(40m, await token.BalanceAsync("b"));
            Assert.Equal(100.25m, await token.SupplyAsync());
            var updated = await token.UpdateMetadataAsync([new("description", "test token")]);
            Assert.Equal("test token", updated.AsMap()["description"].AsString());
            Assert.Equal("tests", (await token.MetadataAsync("issuer")).AsString());
            await tx.CommitAsync();
        }

        var snapshot = client.Snapshot().Resource(name);
        Assert.Equal(60.25m, await snapshot.BalanceAsync("a"));
        Assert.Equal(40m, await snapshot.BalanceAsync("b"));
        Assert.Equal(0m, await snapshot.BalanceAsync("nobody"));
        Assert.Equal(100.25m, await snapshot.SupplyAsync());
        Assert.Equal(2, (await snapshot.MetadataAsync()).AsMap()["decimals"].AsInt64());
    }

    [Fact]
    public async Task Sql_ExecuteQueryAndPayload_GiveTypedRows()
    {
        using var client = fixture.NewClient();
        var table = Unique("t_");
        await using (var tx = await client.BeginAsync())
        {
            var sql = tx.Sql(Sql);
            var ddl = await sql.ExecuteAsync($"CREATE TABLE {table} (id BIGINT PRIMARY KEY, name TEXT NOT NULL, score DECIMAL)");
            Assert.Empty(ddl.Columns);
            var inserted = await sql.ExecuteAsync($"INSERT INTO {table} VALUES ($1, $2, $3), ($4, $5, $6)", [1, "Alice", 9.5m, 2L, "Bob", null]);
            Assert.Equal(2, inserted.Affected);
            var payload = await sql.PayloadAsync(Value.Map(("table", table), ("operation", "insert"), ("values", Value.Map(("id", 3), ("name", "Carol")))));
            Assert.Equal(1, payload.Affected);
            var rows = await sql.QueryAsync($"SELECT id, name FROM {table} WHERE id >= $1 ORDER BY id", [2]);
            Assert.Equal(["Bob", "Carol"], rows.Select(r => r["name"].AsString()));
            await tx.CommitAsync();
        }

        var result = await client.Snapshot().Sql(Sql).ExecuteAsync($"SELECT id, name, score FROM {table} ORDER BY id");
        Assert.Equal(["id", "name", "score"], result.Columns.ToArray());
        Assert.Equal(3, result.Rows.Count);
        Assert.Equal(1, result.Rows[0][0].AsInt64());
        Assert.Equal("Alice", result.Rows[0]["NAME"].AsString());
        Assert.True(result.Rows[1]["score"].IsNull);
        Assert.Throws<KeyNotFoundException>(() => result.Rows[0]["nope"]);
    }

    [Fact]
    public async Task TypedClients_GivenAResourceOfAnotherKind_FailBeforeSending()
    {
        using var client = fixture.NewClient();
        await using var tx = await client.BeginAsync();
        Assert.Throws<ArgumentException>(() => tx.Kv("queue:events"));
        Assert.Throws<ArgumentException>(() => tx.Sql("kv:users"));
        Assert.Throws<ArgumentException>(() => tx.Pg("sql:app"));
        Assert.Equal("pg:orders", tx.Pg("pg:orders").Resource);
    }

    [Fact]
    public async Task Batch_CommitsAtomically_AndAnOverdraftAbortsAllOfItWithTheReason()
    {
        using var client = fixture.NewClient();
        var key = Unique("batch-");
        var ok = await client.BatchAsync(
            [CohortOps.KvPut(Kv, key, "v1"), CohortOps.Enqueue(Queue, key, "e1"), CohortOps.Transfer(Points, "treasury", key, 5m), CohortOps.KvGet(Kv, key)],
            TimeSpan.FromSeconds(30),
            "batch test");
        Assert.NotEqual(TxId.Empty, ok.TxId);
        Assert.Equal("v1", ok.Results[3].AsString());

        var aborted = await Assert.ThrowsAsync<CohortAbortedException>(() => client.BatchAsync(
            [CohortOps.KvPut(Kv, key, "v2"),
            CohortOps.Enqueue(Queue, key, "e2"),
            CohortOps.Transfer(Points, key, "treasury", 6m)]));
        Assert.Equal(ErrorCodes.InsufficientFunds, aborted.Code);
        Assert.Contains("Insufficient funds", aborted.Reason, StringComparison.OrdinalIgnoreCase);
        Assert.NotEqual(TxId.Empty, aborted.TxId);
        Assert.False(aborted.IsTransient);

        var read = await client.ReadAsync([CohortOps.KvGet(Kv, key), CohortOps.QueueSize(Queue, key), CohortOps.Balance(Points, key)]);
        Assert.Equal("v1", read.Results[0].AsString());
        Assert.Equal(1, read.Results[1].AsInt64());
        Assert.Equal("5.00", read.Results[2].AsString());
    }

    [Fact]
    public async Task Batch_WithBadInput_IsRefusedAsAClientErrorAndRunsNothing()
    {
        using var client = fixture.NewClient();
        var key = Unique("bad-");
        var e = await Assert.ThrowsAsync<CohortClientException>(() => client.BatchAsync([CohortOps.KvPut(Kv, key, "x"), new CohortOperation(Kv, Value.Map(("frobnicate", Value.Map())))]));
        Assert.Equal(400, e.StatusCode);
        Assert.Equal(ErrorCodes.UnknownOperation, e.Code);
        Assert.True((await client.Snapshot().Kv(Kv).GetAsync(key)).IsNull);
        await Assert.ThrowsAsync<CohortClientException>(() => client.BatchAsync([CohortOps.KvGet("kv:nowhere", "k")]));
    }

    [Fact]
    public async Task Operation_FailingWithInsufficientFunds_LeavesTheTransactionUsable()
    {
        using var client = fixture.NewClient();
        var key = Unique("funds-");
        await using var tx = await client.BeginAsync();
        var e = await Assert.ThrowsAsync<CohortClientException>(() => tx.Resource(Points).TransferAsync(key, "treasury", 1m));
        Assert.Equal(ErrorCodes.InsufficientFunds, e.Code);
        Assert.IsNotType<CohortAbortedException>(e);
        await tx.Kv(Kv).PutAsync(key, "still usable");
        await tx.CommitAsync();
        Assert.Equal("still usable", await client.Snapshot().Kv(Kv).GetStringAsync(key));
    }

    [Fact]
    public async Task Commit_AfterTheDeadline_ThrowsAbortedWithExpiredAndNothingLands()
    {
        using var client = fixture.NewClient();
        var key = Unique("late-");
        // Long enough for the two operations on a loaded machine (800 ms was not, once, in CI), then waited out.
        var deadline = TimeSpan.FromSeconds(3);
        var begun = Stopwatch.StartNew();
        await using var tx = await client.BeginAsync(deadline);
        await tx.Kv(Kv).PutAsync(key, "late");
        await tx.Queue(Queue).EnqueueAsync(key, "late");
        var waitedOut = deadline + TimeSpan.FromMilliseconds(700) - begun.Elapsed;
        if (waitedOut > TimeSpan.Zero)
        {
            await Task.Delay(waitedOut);
        }

        var e = await Assert.ThrowsAsync<CohortAbortedException>(() => tx.CommitAsync());
        Assert.Equal(ErrorCodes.Expired, e.Code);
        Assert.Equal(tx.Id, e.TxId);
        Assert.True(e.IsTransient);
        Assert.True(tx.IsFinished);
        Assert.True((await client.Snapshot().Kv(Kv).GetAsync(key)).IsNull);
        Assert.Equal(TransactionState.Aborted, (await client.GetTransactionAsync(tx.Id)).State);
    }

    [Fact]
    public async Task Dispose_OfAnUnfinishedTransaction_AbortsItAndReleasesItsLocks()
    {
        using var client = fixture.NewClient();
        var key = Unique("dispose-");
        TxId id;
        await using (var tx = await client.BeginAsync(TimeSpan.FromSeconds(60), "disposed"))
        {
            id = tx.Id;
            await tx.Kv(Kv).PutAsync(key, "never");
            await tx.Resource(Points).TransferAsync("treasury", key, 1m);
        }

        var info = await client.GetTransactionAsync(id);
        Assert.Equal(TransactionState.Aborted, info.State);
        Assert.Equal("disposed", info.Label);

        // The disposed transaction held an exclusive lock on the key: a new one gets it at once.
        await using (var tx = await client.BeginAsync(TimeSpan.FromSeconds(5)))
        {
            await tx.Kv(Kv).PutAsync(key, "after");
            await tx.CommitAsync();
        }

        Assert.Equal("after", await client.Snapshot().Kv(Kv).GetStringAsync(key));
        Assert.Equal(0m, await client.Snapshot().Resource(Points).BalanceAsync(key));
    }

    [Fact]
    public async Task Abort_ThenUse_IsRefusedAndAbortIsIdempotent()
    {
        using var client = fixture.NewClient();
        var key = Unique("abort-");
        await using var tx = await client.BeginAsync();
        await tx.Kv(Kv).PutAsync(key, "x");
        await tx.AbortAsync();
        await tx.AbortAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(() => tx.Kv(Kv).PutAsync(key, "y"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => tx.CommitAsync());
        Assert.True((await client.Snapshot().Kv(Kv).GetAsync(key)).IsNull);
    }

    [Fact]
    public async Task Snapshot_AsOfAnEarlierCommit_ReadsThePastState()
    {
        using var client = fixture.NewClient();
        var key = Unique("asof-");
        await client.BatchAsync([CohortOps.KvPut(Kv, key, "v1")]);
        var first = await client.ReadAsync([CohortOps.KvGet(Kv, key)]);
        Assert.Equal("v1", first.Results[0].AsString());
        await client.BatchAsync([CohortOps.KvPut(Kv, key, "v2")]);

        Assert.Equal("v1", await client.Snapshot(first.AsOf).Kv(Kv).GetStringAsync(key));
        Assert.Equal("v1", (await client.ReadAsync([CohortOps.KvGet(Kv, key)], first.AsOf)).Results[0].AsString());
        Assert.Equal("v2", await client.Snapshot().Kv(Kv).GetStringAsync(key));
    }

    [Fact]
    public async Task Client_GivenOnlyANonMasterNode_WorksThroughItsForwarding()
    {
        var node = fixture.Cluster.Nodes[2];
        using var client = fixture.NewClient([node.Address], discover: false);
        var key = Unique("fwd-");
        await using (var tx = await client.BeginAsync())
        {
            await tx.Kv(Kv).PutAsync(key, "forwarded");
            await tx.Sql(Sql).ExecuteAsync("SELECT 1 AS one");
            await tx.CommitAsync();
        }

        Assert.Null(client.Leader);
        Assert.Equal("forwarded", await client.Snapshot().Kv(Kv).GetStringAsync(key));
    }

    [Fact]
    public async Task Client_WithDiscovery_FindsTheMasterFromANonMasterNode()
    {
        using var client = fixture.NewClient([fixture.Cluster.Nodes[1].Address]);
        await client.BatchAsync([CohortOps.KvPut(Kv, Unique("disc-"), "x")]);
        var role = await fixture.Cluster.Api.GetAsync(fixture.Cluster.Nodes[1], "cluster/nodes");
        Assert.Equal(role.Body["master_addr"]!.GetValue<string>(), client.Leader);
    }

    [Fact]
    public async Task Client_WhoseFirstNodeIsDown_UsesTheNextOne()
    {
        var dead = $"127.0.0.1:{FreePorts.Take(1)[0]}";
        using var client = fixture.NewClient([dead, fixture.Cluster.Nodes[1].Address], discover: false);
        var key = Unique("next-");
        await using (var tx = await client.BeginAsync())
        {
            await tx.Kv(Kv).PutAsync(key, "ok");
            await tx.CommitAsync();
        }

        Assert.Equal("ok", await client.Snapshot().Kv(Kv).GetStringAsync(key));
    }

    [Fact]
    public async Task Client_WithNoReachableNode_FailsTransientlyAfterBoundedRetries()
    {
        var dead = FreePorts.Take(2).Select(p => $"127.0.0.1:{p}").ToArray();
        using var client = fixture.NewClient(dead);
        var started = DateTime.UtcNow;
        var e = await Assert.ThrowsAsync<CohortClientException>(() => client.BeginAsync());
        Assert.Equal("unavailable", e.Code);
        Assert.Null(e.StatusCode);
        Assert.True(e.IsTransient);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Client_WithAWrongToken_GetsUnauthorized()
    {
        using var client = fixture.NewClient(token: "wrong");
        var e = await Assert.ThrowsAsync<CohortClientException>(() => client.BeginAsync());
        Assert.Equal(401, e.StatusCode);
        Assert.Equal("unauthorized", e.Code);
        Assert.False(e.IsTransient);
    }

    [Fact]
    public async Task Transactions_AreListedAndShownWithParticipants()
    {
        using var client = fixture.NewClient();
        var key = Unique("list-");
        CommitResult committed;
        await using (var tx = await client.BeginAsync(label: "listed"))
        {
            await tx.Kv(Kv).PutAsync(key, 1);
            await tx.Queue(Queue).EnqueueAsync(key, 1);
            committed = await tx.CommitAsync();
        }

        var info = await client.GetTransactionAsync(committed.TxId);
        Assert.Contains(info.State, new[] { TransactionState.Committed, TransactionState.Committing });
        Assert.Equal("listed", info.Label);
        Assert.Equal([Kv, Queue], info.Participants.Select(p => p.Resource).Order());
        Assert.NotNull(info.CommitTimestamp);
        Assert.Equal(info.CommitTimestamp, committed.CommitTimestamp);
        Assert.Contains(await client.ListTransactionsAsync(), t => t.TxId == committed.TxId);
        Assert.DoesNotContain(await client.ListTransactionsAsync(TransactionState.InDoubt), t => t.TxId == committed.TxId);
        var unknown = await Assert.ThrowsAsync<CohortClientException>(() => client.GetTransactionAsync(TxId.NewId()));
        Assert.Equal(ErrorCodes.UnknownTransaction, unknown.Code);
    }
}
