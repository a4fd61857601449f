using Cohort.Engines;
using Cohort.Engines.Kv;
using Cohort.Engines.Sql;
using Cohort.Engines.TestKit;
using Cohort.Storage.Replication;

namespace Cohort.Tests.Storage.Replication;

/// <summary>
/// Embedded engines shipping their log to <see cref="ReplicaStore"/>s through a <see cref="Replicator"/>: what is
/// acknowledged is on every in-sync replica, and a replica promoted by opening the engine over its directory holds it.
/// </summary>
public sealed class ReplicatedEngineTests : IAsyncLifetime
{
    private static readonly TimeSpan LongWait = TimeSpan.FromSeconds(30);
    private static readonly ReplicatorOptions Fast = new() { SendTimeout = TimeSpan.FromMilliseconds(500), FailureTimeout = TimeSpan.FromMilliseconds(300), RetryDelay = TimeSpan.FromMilliseconds(20) };

    private readonly TempDirectory _root = new();
    private readonly List<IAsyncDisposable> _open = [];
    private ReplicaStore[] _stores = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var item in Enumerable.Reverse(_open))
        {
            await item.DisposeAsync();
        }

        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        _root.Dispose();
    }

    [Fact]
    public async Task Promoted_AfterThePrimaryAndItsDiskAreLost_HoldsEveryAcknowledgedCommit_AndThePreparedTransactionWithItsLocks()
    {
        var (primary, replicator, _) = Start(replicas: 2);
        for (var i = 0; i < 60; i++)
        {
            await PutAsync(primary, $"k{i}", i, twoPhase: i % 2 == 0);
        }

        var pending = Begin();
        await primary.ApplyAsync(pending, Put("pending", 1), default);
        var vote = await primary.PrepareAsync(pending.Id, new PrepareInfo("coordinator-1"), default);
        Assert.Equal(VoteKind.Yes, vote.Kind);

        // The primary's node is gone with its disk.
        await replicator.DisposeAsync();
        await primary.DisposeAsync();
        Directory.Delete(Dir("p"), recursive: true);

        foreach (var replica in new[] { 0, 1 })
        {
            await _stores[replica].DisposeAsync();
            await using var promoted = OpenKv(_stores[replica].Directory);
            for (var i = 0; i < 60; i++)
            {
                Assert.Equal(Value.From(i), await GetAsync(promoted, $"k{i}"));
            }

            var prepared = Assert.Single(promoted.GetPrepared());
            Assert.Equal(pending.Id, prepared.Id);
            Assert.Equal("coordinator-1", prepared.Coordinator);
            await AssertWriteBlockedAsync(promoted, "pending");
            if (replica == 0)
            {
                await promoted.CommitAsync(pending.Id, vote.PrepareTimestamp, default);
                Assert.Equal(Value.From(1), await GetAsync(promoted, "pending"));
            }
        }
    }

    [Fact]
    public async Task Prepare_VotesOnlyOnceEveryInSyncReplicaHoldsTheRecord()
    {
        var (primary, _, channels) = Start(replicas: 2);
        await PutAsync(primary, "warm", 1, twoPhase: false);
        channels[1].Hold();

        var tx = Begin();
        await primary.ApplyAsync(tx, Put("a", 1), default);
        var prepare = primary.PrepareAsync(tx.Id, new PrepareInfo(null), default).AsTask();
        await Task.Delay(300);
        Assert.False(prepare.IsCompleted, "the prepare voted before the held replica had the record");

        channels[1].Release();
        Assert.Equal(VoteKind.Yes, (await prepare.WaitAsync(LongWait)).Kind);
    }

    [Fact]
    public async Task ReadLease_HeldWhileEveryInSyncReplicaAnswers_LostWhenOneGoesQuiet_RenewedByAProbe_AndNotNeededFromOneTakenOut()
    {
        var options = new ReplicatorOptions
        {
            SendTimeout = TimeSpan.FromSeconds(30),
            FailureTimeout = TimeSpan.FromSeconds(30),
            RetryDelay = TimeSpan.FromMilliseconds(20),
            IdleProbeInterval = TimeSpan.FromMilliseconds(50),
            ReadLease = TimeSpan.FromMilliseconds(300),
        };
        var (primary, replicator, channels) = Start(replicas: 2, options);
        await PutAsync(primary, "warm", 1, twoPhase: false);
        await UntilAsync(() => replicator.HoldsLease, "the lease after every replica acknowledged");

        // r2 goes quiet (its answers held): once its last acknowledgement is a lease old, the lease is gone, and a read
        // that waits for it gives up as unavailable.
        channels[1].Hold();
        await UntilAsync(() => !replicator.HoldsLease, "the lease to run out while r2 does not answer");
        var lost = await Assert.ThrowsAsync<CohortException>(() => replicator.WaitForLeaseAsync(TimeSpan.FromMilliseconds(100), default));
        Assert.Equal(ErrorCodes.Unavailable, lost.Code);
        Assert.True(lost.IsTransient);

        // r2 answers again: a wait for the lease gets it back (it probes at once).
        channels[1].Release();
        await replicator.WaitForLeaseAsync(LongWait, default);
        Assert.True(replicator.HoldsLease);

        // Taken out of the configuration, a quiet r2 no longer counts: it cannot be promoted.
        channels[1].Hold();
        await UntilAsync(() => !replicator.HoldsLease, "the lease to run out again");
        replicator.Reconfigure(2, ["r1"]);
        await replicator.WaitForLeaseAsync(LongWait, default);
        channels[1].Release();
    }

    [Fact]
    public async Task FailedReplica_IsReported_AndNothingIsAcknowledgedUntilTheConfigurationLeavesItOut()
    {
        var (primary, replicator, channels) = Start(replicas: 2, Fast);
        await PutAsync(primary, "warm", 1, twoPhase: false);
        var failed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        replicator.ReplicaFailed += (replica, _) => failed.TrySetResult(replica);
        channels[1].Down = true;

        var tx = Begin();
        await primary.ApplyAsync(tx, Put("a", 1), default);
        var prepare = primary.PrepareAsync(tx.Id, new PrepareInfo(null), default).AsTask();
        Assert.Equal("r2", await failed.Task.WaitAsync(LongWait));
        await Task.Delay(200);
        Assert.False(prepare.IsCompleted, "a record was acknowledged while a failed replica was still in the configuration");

        replicator.Reconfigure(2, ["r1"]);
        Assert.Equal(VoteKind.Yes, (await prepare.WaitAsync(LongWait)).Kind);
        Assert.Equal(2, replicator.Version);
        Assert.Equal(["r1"], replicator.InSync);
    }

    [Fact]
    public async Task ReplicaThatSawANewerConfiguration_FencesTheOldPrimary_WhosePrepareVotesNo()
    {
        var (primary, replicator, _) = Start(replicas: 2);
        await PutAsync(primary, "warm", 1, twoPhase: false);
        var fenced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        replicator.Fenced += _ => fenced.TrySetResult();

        // A leader promoted another replica under version 2, and this replica heard of it.
        await _stores[0].ObserveVersionAsync(2);
        var tx = Begin();
        await primary.ApplyAsync(tx, Put("a", 1), default);
        var vote = await primary.PrepareAsync(tx.Id, new PrepareInfo(null), default).AsTask().WaitAsync(LongWait);
        Assert.Equal(VoteKind.No, vote.Kind);
        await fenced.Task.WaitAsync(LongWait);
        Assert.True(replicator.IsFenced);

        // And after a restart the replica still refuses version 1.
        await _stores[0].DisposeAsync();
        _stores[0] = ReplicaStore.Open(Dir("r1"));
        Assert.Equal(2, _stores[0].KnownVersion);
        var refused = await Assert.ThrowsAsync<ReplicaRefusedException>(() => _stores[0].ApplyAsync("p", 1, [new ReplicationEntry(0, ReplicationEntryKind.Reset, 0, new byte[] { 1 })]));
        Assert.Equal(ReplicaRefusal.Stale, refused.Reason);
    }

    [Fact]
    public async Task PrimarySnapshot_IsCopiedByTheReplica_WhichDropsItsOlderSegments()
    {
        var (primary, replicator, _) = Start(replicas: 1);
        for (var i = 0; i < 40; i++)
        {
            await PutAsync(primary, $"k{i}", i, twoPhase: false);
        }

        await primary.SnapshotAsync(default);

        // These are acknowledged after the snapshot entry, which the replica handles in order before them.
        for (var i = 40; i < 80; i++)
        {
            await PutAsync(primary, $"k{i}", i, twoPhase: true);
        }

        var walFiles = Directory.GetFiles(Path.Combine(Dir("r1"), "wal"));
        Assert.Single(walFiles);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(Dir("r1"), "snapshots")));

        await replicator.DisposeAsync();
        await primary.DisposeAsync();
        await _stores[0].DisposeAsync();
        await using var promoted = OpenKv(_stores[0].Directory);
        for (var i = 0; i < 80; i++)
        {
            Assert.Equal(Value.From(i), await GetAsync(promoted, $"k{i}"));
        }
    }

    [Fact]
    public async Task ReplicaAttachedLater_CatchesUpFromASnapshot_IsReported_AndOnceAddedHoldsWhatThePrimaryHolds()
    {
        var (primary, replicator, _) = Start(replicas: 1);
        for (var i = 0; i < 50; i++)
        {
            await PutAsync(primary, $"k{i}", i, twoPhase: false);
        }

        var late = ReplicaStore.Open(Dir("r2"));
        _stores = [.. _stores, late];
        var caughtUp = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        replicator.CaughtUp += replica => caughtUp.TrySetResult(replica);
        replicator.Attach(new InProcessReplicaChannel("r2", () => late));
        for (var i = 50; i < 70; i++)
        {
            await PutAsync(primary, $"k{i}", i, twoPhase: true);
        }

        Assert.Equal("r2", await caughtUp.Task.WaitAsync(LongWait));
        replicator.Reconfigure(2, ["r1", "r2"]);
        for (var i = 70; i < 90; i++)
        {
            await PutAsync(primary, $"k{i}", i, twoPhase: i % 2 == 0);
        }

        var expected = new List<Value>();
        for (var i = 0; i < 90; i++)
        {
            expected.Add(await GetAsync(primary, $"k{i}"));
        }

        await replicator.DisposeAsync();
        await primary.DisposeAsync();
        await late.DisposeAsync();
        await using var promoted = OpenKv(late.Directory);
        for (var i = 0; i < 90; i++)
        {
            Assert.Equal(expected[i], await GetAsync(promoted, $"k{i}"));
        }
    }

    [Fact]
    public async Task CaughtUpReplica_IsWaitedForAtOnce_SoOnceAddedItHoldsEveryAcknowledgedRecord_AndAbandonedItIsNot()
    {
        // The primary alone (its replica was taken out), then a newcomer caught up to join.
        var (primary, replicator, _) = Start(replicas: 1);
        replicator.Reconfigure(2, []);
        await PutAsync(primary, "alone", 1, twoPhase: false);
        var late = ReplicaStore.Open(Dir("r2"));
        _stores = [.. _stores, late];
        var channel = new InProcessReplicaChannel("r2", () => late);
        var caughtUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        replicator.CaughtUp += _ => caughtUp.TrySetResult();
        replicator.Attach(channel);
        await caughtUp.Task.WaitAsync(LongWait);

        // Not in the configuration yet, but from now on nothing is acknowledged without it.
        channel.Hold();
        var tx = Begin();
        await primary.ApplyAsync(tx, Put("joined", 1), default);
        var prepare = primary.PrepareAsync(tx.Id, new PrepareInfo(null), default).AsTask();
        await Task.Delay(300);
        Assert.False(prepare.IsCompleted, "a record was acknowledged without the replica that caught up to join");
        channel.Release();
        Assert.Equal(VoteKind.Yes, (await prepare.WaitAsync(LongWait)).Kind);
        await primary.CommitAsync(tx.Id, primary.Clock.Now(), default);

        // Abandoned (the leader did not add it), it is no longer waited for.
        replicator.Abandon("r2");
        channel.Hold();
        await PutAsync(primary, "after", 1, twoPhase: false).WaitAsync(LongWait);
        channel.Release();
    }

    [Fact]
    public async Task RestartedReplica_RefusesTheStreamAsAGap_AndIsReportedFailed()
    {
        var (primary, replicator, _) = Start(replicas: 2, Fast);
        await PutAsync(primary, "warm", 1, twoPhase: false);
        var failed = new TaskCompletionSource<(string, Exception)>(TaskCreationOptions.RunContinuationsAsynchronously);
        replicator.ReplicaFailed += (replica, error) => failed.TrySetResult((replica, error));

        await _stores[1].DisposeAsync();
        _stores[1] = ReplicaStore.Open(Dir("r2"));
        var tx = Begin();
        await primary.ApplyAsync(tx, Put("a", 1), default);
        var prepare = primary.PrepareAsync(tx.Id, new PrepareInfo(null), default).AsTask();

        var (replica, error) = await failed.Task.WaitAsync(LongWait);
        Assert.Equal("r2", replica);
        Assert.Equal(ReplicaRefusal.Gap, Assert.IsType<ReplicaRefusedException>(error).Reason);
        replicator.Reconfigure(2, ["r1"]);
        Assert.Equal(VoteKind.Yes, (await prepare.WaitAsync(LongWait)).Kind);
    }

    [Fact]
    public async Task ReplicatedSqlResource_AfterPromotion_KeepsItsTablesRowsAndIndexes()
    {
        var primary = SqlEngine.Open("sql:r", new EngineOptions { DataDirectory = Dir("p"), MaintenanceInterval = Timeout.InfiniteTimeSpan });
        var replicator = Replicate(primary, 1, null);
        await SqlAsync(primary, "CREATE TABLE accounts (id BIGINT PRIMARY KEY, owner TEXT NOT NULL, balance BIGINT NOT NULL)");
        await SqlAsync(primary, "CREATE INDEX accounts_owner ON accounts (owner)");
        for (var i = 0; i < 30; i++)
        {
            await SqlAsync(primary, "INSERT INTO accounts (id, owner, balance) VALUES ($1, $2, $3)", i, $"owner{i % 5}", 100 * i);
        }

        await replicator.DisposeAsync();
        await primary.DisposeAsync();
        Directory.Delete(Dir("p"), recursive: true);
        await _stores[0].DisposeAsync();

        await using var promoted = SqlEngine.Open("sql:r", new EngineOptions { DataDirectory = _stores[0].Directory, MaintenanceInterval = Timeout.InfiniteTimeSpan });
        var rows = (await SqlAsync(promoted, "SELECT id, balance FROM accounts WHERE owner = $1 ORDER BY id", "owner3")).AsMap()["rows"].AsList();
        Assert.Equal([3L, 8L, 13L, 18L, 23L, 28L], rows.Select(r => r.AsList()[0].AsInt64()));
        var plan = ValueJson.Serialize(await SqlAsync(promoted, "EXPLAIN SELECT id FROM accounts WHERE owner = $1", "owner3"));
        Assert.Contains("accounts_owner", plan, StringComparison.Ordinal);
        var total = (await SqlAsync(promoted, "SELECT SUM(balance) FROM accounts")).AsMap()["rows"].AsList()[0].AsList()[0].AsInt64();
        Assert.Equal(Enumerable.Range(0, 30).Sum(i => 100L * i), total);
    }

    private (KvEngine Primary, Replicator Replicator, InProcessReplicaChannel[] Channels) Start(int replicas, ReplicatorOptions? options = null)
    {
        var primary = OpenKv(Dir("p"));
        _open.Add(primary);
        var replicator = Replicate(primary, replicas, options, out var channels);
        return (primary, replicator, channels);
    }

    private Replicator Replicate(IEmbeddedEngine primary, int replicas, ReplicatorOptions? options) => Replicate(primary, replicas, options, out _);

    private Replicator Replicate(IEmbeddedEngine primary, int replicas, ReplicatorOptions? options, out InProcessReplicaChannel[] channels)
    {
        _stores = [.. Enumerable.Range(1, replicas).Select(i => ReplicaStore.Open(Dir($"r{i}")))];
        channels = [.. Enumerable.Range(0, replicas).Select(i => new InProcessReplicaChannel($"r{i + 1}", () => _stores[i]))];
        var replicator = new Replicator("kv:r", "p", 1, channels.Select(c => c.Replica), primary.SnapshotSource, options);
        _open.Add(replicator);
        primary.Replicate(replicator);
        foreach (var channel in channels)
        {
            replicator.Attach(channel);
        }

        return replicator;
    }

    private string Dir(string name) => Path.Combine(_root.Path, name);

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var started = DateTime.UtcNow;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow - started < LongWait, $"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }

    private static KvEngine OpenKv(string directory) =>
        KvEngine.Open("kv:r", new EngineOptions { DataDirectory = directory, MaintenanceInterval = Timeout.InfiniteTimeSpan });

    private static TransactionContext Begin(double seconds = 30) => new(TxId.NewId(), DateTimeOffset.UtcNow.AddSeconds(seconds));

    private static Operation Put(string key, int value) => Operation.Create("put", ("key", key), ("value", value));

    private static async Task PutAsync(KvEngine engine, string key, int value, bool twoPhase)
    {
        var tx = Begin();
        await engine.ApplyAsync(tx, Put(key, value), default);
        if (twoPhase)
        {
            var vote = await engine.PrepareAsync(tx.Id, new PrepareInfo("c"), default);
            Assert.Equal(VoteKind.Yes, vote.Kind);
            await engine.CommitAsync(tx.Id, vote.PrepareTimestamp, default);
        }
        else
        {
            await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), default);
        }
    }

    private static async Task<Value> GetAsync(KvEngine engine, string key) =>
        await engine.ReadAsync(engine.Clock.Now(), Operation.Create("get", ("key", key)), default);

    private static async Task<Value> SqlAsync(SqlEngine engine, string sql, params Value[] parameters)
    {
        var tx = Begin();
        var result = await engine.ApplyAsync(tx, SqlItems.Sql(sql, parameters), default);
        await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), default);
        return result;
    }

    private static async Task AssertWriteBlockedAsync(KvEngine engine, string key)
    {
        var blocked = Begin(0.3);
        var error = await Assert.ThrowsAsync<CohortException>(async () => await engine.ApplyAsync(blocked, Put(key, 9), default).AsTask().WaitAsync(LongWait));
        Assert.Equal(ErrorCodes.LockTimeout, error.Code);
        await engine.AbortAsync(blocked.Id, default);
    }
}
