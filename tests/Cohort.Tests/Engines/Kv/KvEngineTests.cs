using Cohort.Engines;
using Cohort.Engines.Kv;

namespace Cohort.Tests.Engines.Kv;

/// <summary>KV-specific behaviour beyond the shared participant contract.</summary>
public sealed class KvEngineTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();
    private KvEngine _engine = null!;

    public Task InitializeAsync()
    {
        _engine = KvEngine.Open("kv:test", new EngineOptions { DataDirectory = _directory.Path });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task Scan_ByPrefix_ReturnsMatchingKeysInOrderUpToTheLimit()
    {
        await CommitAsync(("user:3", "c"), ("user:1", "a"), ("user:2", "b"), ("usez", "x"), ("admin", "y"));

        var all = await ReadAsync(Operation.Create("scan", ("prefix", "user:")));
        Assert.Equal(["user:1", "user:2", "user:3"], Keys(all));
        var limited = await ReadAsync(Operation.Create("scan", ("prefix", "user:"), ("limit", 2)));
        Assert.Equal(["user:1", "user:2"], Keys(limited));
        Assert.Equal(Value.From("a"), Assert.Single(limited.AsList().Take(1)).AsMap()["value"]);
    }

    [Fact]
    public async Task Scan_ByRange_IsInclusiveOfFromAndExclusiveOfTo()
    {
        await CommitAsync(("a", 1), ("b", 2), ("c", 3), ("d", 4));
        var rows = await ReadAsync(Operation.Create("scan", ("from", "b"), ("to", "d")));
        Assert.Equal(["b", "c"], Keys(rows));
    }

    [Fact]
    public async Task Scan_InATransaction_MergesItsOwnWritesAndDeletes()
    {
        await CommitAsync(("k1", 1), ("k2", 2), ("k3", 3));
        var tx = Begin();
        await _engine.ApplyAsync(tx, Operation.Create("delete", ("key", "k2")), default);
        await _engine.ApplyAsync(tx, Operation.Create("put", ("key", "k25"), ("value", 25)), default);
        var rows = await _engine.ApplyAsync(tx, Operation.Create("scan", ("prefix", "k")), default);
        Assert.Equal(["k1", "k25", "k3"], Keys(rows));

        // Nobody else sees them before commit.
        Assert.Equal(["k1", "k2", "k3"], Keys(await ReadAsync(Operation.Create("scan", ("prefix", "k")))));
        await _engine.CommitOnePhaseAsync(tx.Id, _engine.Clock.Now(), default);
        Assert.Equal(["k1", "k25", "k3"], Keys(await ReadAsync(Operation.Create("scan", ("prefix", "k")))));
    }

    [Fact]
    public async Task Delete_ReportsWhetherTheKeyExisted_AndHidesIt()
    {
        await CommitAsync(("k", "v"));
        var tx = Begin();
        Assert.Equal(Value.True, await _engine.ApplyAsync(tx, Operation.Create("delete", ("key", "k")), default));
        Assert.Equal(Value.False, await _engine.ApplyAsync(tx, Operation.Create("delete", ("key", "k")), default));
        Assert.Equal(Value.False, await _engine.ApplyAsync(tx, Operation.Create("delete", ("key", "never")), default));
        await _engine.CommitOnePhaseAsync(tx.Id, _engine.Clock.Now(), default);
        Assert.True((await ReadAsync(Operation.Create("get", ("key", "k")))).IsNull);
    }

    [Fact]
    public async Task Put_StoresEveryValueKindExactly()
    {
        var values = new[]
        {
            Value.True, Value.From(42L), Value.From(1.5), Value.From(1.50m), Value.From("text"),
            Value.From([1, 2, 3]), Value.List(1, "two"), Value.Map(("a", 1), ("b", Value.List(Value.Null))),
        };
        for (var i = 0; i < values.Length; i++)
        {
            await CommitAsync(($"v{i}", values[i]));
        }

        await _engine.DisposeAsync();
        _engine = KvEngine.Open("kv:test", new EngineOptions { DataDirectory = _directory.Path });
        for (var i = 0; i < values.Length; i++)
        {
            var read = await ReadAsync(Operation.Create("get", ("key", $"v{i}")));
            Assert.Equal(values[i], read);
            Assert.Equal(ValueJson.Serialize(values[i]), ValueJson.Serialize(read));
        }
    }

    [Theory]
    [InlineData("{\"get\":{}}", ErrorCodes.BadOperation)]
    [InlineData("{\"get\":{\"key\":7}}", ErrorCodes.BadOperation)]
    [InlineData("{\"get\":{\"key\":\"\"}}", ErrorCodes.BadOperation)]
    [InlineData("{\"put\":{\"key\":\"k\"}}", ErrorCodes.BadOperation)]
    [InlineData("{\"scan\":{\"prefix\":\"a\",\"from\":\"b\"}}", ErrorCodes.BadOperation)]
    [InlineData("{\"scan\":{\"limit\":0}}", ErrorCodes.BadOperation)]
    [InlineData("{\"scan\":{\"limit\":\"ten\"}}", ErrorCodes.BadOperation)]
    [InlineData("{\"increment\":{\"key\":\"k\"}}", ErrorCodes.UnknownOperation)]
    public async Task BadOperation_IsRefusedWithAClearCodeAndChangesNothing(string json, string code)
    {
        await CommitAsync(("k", "original"));
        var tx = Begin();
        var error = await Assert.ThrowsAsync<CohortException>(async () => await _engine.ApplyAsync(tx, Operation.FromValue(ValueJson.Parse(json)), default));
        Assert.Equal(code, error.Code);
        Assert.False(error.IsTransient);

        // The transaction survives bad input and the data is unchanged.
        Assert.Equal(Value.From("original"), await _engine.ApplyAsync(tx, Operation.Create("get", ("key", "k")), default));
        await _engine.CommitOnePhaseAsync(tx.Id, _engine.Clock.Now(), default);
    }

    [Fact]
    public async Task Prepare_OfAWriteTooLargeForTheLog_VotesNoAndLeavesNothingBehind()
    {
        var tx = Begin();
        await _engine.ApplyAsync(tx, Operation.Create("put", ("key", "huge"), ("value", Value.FromOwnedBytes(new byte[65 * 1024 * 1024]))), default);
        var vote = await _engine.PrepareAsync(tx.Id, new PrepareInfo(null), default);
        Assert.Equal(VoteKind.No, vote.Kind);
        Assert.Contains("log", vote.Reason);
        Assert.Equal(0, _engine.ActiveTransactionCount);

        // No marker or lock is left: readers and writers of the key proceed at once.
        Assert.True((await ReadAsync(Operation.Create("get", ("key", "huge")))).IsNull);
        await CommitAsync(("huge", "small")).WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task SnapshotRead_OfAWrite_IsRefused()
    {
        var error = await Assert.ThrowsAsync<CohortException>(async () => await ReadAsync(Operation.Create("put", ("key", "k"), ("value", 1))));
        Assert.Equal(ErrorCodes.BadOperation, error.Code);
    }

    [Fact]
    public async Task SnapshotRead_FarInTheFuture_IsRefused()
    {
        var future = HlcTimestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(1));
        var error = await Assert.ThrowsAsync<CohortException>(async () => await _engine.ReadAsync(future, Operation.Create("get", ("key", "k")), default));
        Assert.Equal(ErrorCodes.BadOperation, error.Code);
    }

    [Fact]
    public async Task LogPastTheThreshold_IsSnapshottedAndOldSegmentsDeleted_AndStateSurvivesRestart()
    {
        await _engine.DisposeAsync();
        var options = new EngineOptions
        {
            DataDirectory = _directory.Path,
            SegmentBytes = 4096,
            SnapshotThresholdBytes = 4096,
            MaintenanceInterval = Timeout.InfiniteTimeSpan,
        };
        _engine = KvEngine.Open("kv:test", options);
        for (var i = 0; i < 200; i++)
        {
            await CommitAsync(($"key{i:D4}", new string('x', 64)));
        }

        var walDirectory = Path.Combine(_directory.Path, "wal");
        Assert.True(Directory.GetFiles(walDirectory).Length > 3);
        await _engine.SnapshotAsync(default);
        Assert.True(Directory.GetFiles(walDirectory).Length <= 2);
        Assert.Single(Directory.GetFiles(Path.Combine(_directory.Path, "snapshots"), "*.snap"));

        await CommitAsync(("after", 1));
        await _engine.DisposeAsync();
        _engine = KvEngine.Open("kv:test", options);
        Assert.Equal(201, _engine.KeyCount);
        Assert.Equal(Value.From(1), await ReadAsync(Operation.Create("get", ("key", "after"))));
        Assert.Equal(Value.From(new string('x', 64)), await ReadAsync(Operation.Create("get", ("key", "key0000"))));
    }

    [Fact]
    public async Task AsOf_WithinRetention_ReadsThePast_AndOutsideItIsRefused()
    {
        await _engine.DisposeAsync();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _engine = KvEngine.Open("kv:test", new EngineOptions
        {
            DataDirectory = _directory.Path,
            TimeProvider = time,
            Retention = TimeSpan.FromMinutes(1),
            MaintenanceInterval = Timeout.InfiniteTimeSpan,
        });

        await CommitAsync(("k", "v1"), ("gone", "soon"));
        var first = _engine.Clock.Now();
        time.Advance(TimeSpan.FromSeconds(30));
        var deleteTx = Begin(time);
        await _engine.ApplyAsync(deleteTx, Operation.Create("put", ("key", "k"), ("value", "v2")), default);
        await _engine.ApplyAsync(deleteTx, Operation.Create("delete", ("key", "gone")), default);
        await _engine.CommitOnePhaseAsync(deleteTx.Id, _engine.Clock.Now(), default);
        var second = _engine.Clock.Now();

        Assert.Equal(Value.From("v1"), await _engine.ReadAsync(first, Operation.Create("get", ("key", "k")), default));
        Assert.Equal(Value.From("v2"), await _engine.ReadAsync(second, Operation.Create("get", ("key", "k")), default));
        Assert.Equal(2, _engine.KeyCount);

        time.Advance(TimeSpan.FromMinutes(2));
        _engine.RunMaintenance();
        var error = await Assert.ThrowsAsync<CohortException>(async () => await _engine.ReadAsync(first, Operation.Create("get", ("key", "k")), default));
        Assert.Equal(ErrorCodes.SnapshotTooOld, error.Code);
        Assert.Equal(Value.From("v2"), await _engine.ReadAsync(_engine.Clock.Now(), Operation.Create("get", ("key", "k")), default));
        Assert.Equal(1, _engine.KeyCount); // the deleted key's tombstone was collected
    }

    [Fact]
    public async Task ActiveTransactionPastItsDeadline_IsAbortedByMaintenance_AndItsLocksFreed()
    {
        await _engine.DisposeAsync();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _engine = KvEngine.Open("kv:test", new EngineOptions { DataDirectory = _directory.Path, TimeProvider = time, MaintenanceInterval = TimeSpan.FromSeconds(1) });

        var abandoned = new TransactionContext(TxId.NewId(), time.GetUtcNow().AddSeconds(5));
        await _engine.ApplyAsync(abandoned, Operation.Create("put", ("key", "k"), ("value", 1)), default);
        Assert.Equal(1, _engine.ActiveTransactionCount);

        time.Advance(TimeSpan.FromSeconds(6)); // the maintenance timer fires
        Assert.Equal(0, _engine.ActiveTransactionCount);
        var error = await Assert.ThrowsAsync<CohortException>(async () => await _engine.ApplyAsync(abandoned, Operation.Create("get", ("key", "k")), default));
        Assert.Equal(ErrorCodes.Aborted, error.Code);

        var next = Begin(time);
        await _engine.ApplyAsync(next, Operation.Create("put", ("key", "k"), ("value", 2)), default).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        await _engine.CommitOnePhaseAsync(next.Id, _engine.Clock.Now(), default);
    }

    [Fact]
    public async Task PhaseTwoCommit_ReleasesItsLocksBeforeItsRecordIsDurable_ButIsAcknowledgedOnlyOnceItIs()
    {
        await _engine.DisposeAsync();
        var disk = new ControlledFsyncFileSystem();
        var options = new EngineOptions { DataDirectory = _directory.Path, FileSystem = disk };
        _engine = KvEngine.Open("kv:test", options);
        var first = Begin();
        await _engine.ApplyAsync(first, Operation.Create("put", ("key", "k"), ("value", 1)), default);
        var vote = await _engine.PrepareAsync(first.Id, new PrepareInfo("coordinator"), default);
        Assert.Equal(VoteKind.Yes, vote.Kind);

        disk.Hold();
        Task commit, repeated;
        var second = Begin();
        try
        {
            commit = _engine.CommitAsync(first.Id, vote.PrepareTimestamp, default).AsTask();

            // While its commit record waits for the disk, the writes are installed and the lock is free.
            Assert.Equal(Value.From(1), await ReadAsync(Operation.Create("get", ("key", "k"))).WaitAsync(TimeSpan.FromSeconds(30)));
            await _engine.ApplyAsync(second, Operation.Create("put", ("key", "k"), ("value", 2)), default).AsTask().WaitAsync(TimeSpan.FromSeconds(30));

            // But neither the commit nor a repeat of it (a coordinator retrying phase two) is acknowledged: the
            // coordinator may forget its decision once it is, and a crash now would lose the record.
            repeated = _engine.CommitAsync(first.Id, vote.PrepareTimestamp, default).AsTask();
            await Task.Delay(50);
            Assert.False(commit.IsCompleted);
            Assert.False(repeated.IsCompleted);
        }
        finally
        {
            disk.Release();
        }

        await commit.WaitAsync(TimeSpan.FromSeconds(30));
        await repeated.WaitAsync(TimeSpan.FromSeconds(30));
        await _engine.CommitOnePhaseAsync(second.Id, _engine.Clock.Now(), default);

        await _engine.DisposeAsync();
        _engine = KvEngine.Open("kv:test", options);
        Assert.Empty(_engine.GetPrepared());
        Assert.Equal(Value.From(2), await ReadAsync(Operation.Create("get", ("key", "k"))));
    }

    [Fact]
    public async Task PhaseTwoCommit_WhoseRecordFailsToBeWritten_IsNeverAcknowledged_NorIsARepeatOfIt()
    {
        await _engine.DisposeAsync();
        var disk = new ControlledFsyncFileSystem();
        _engine = KvEngine.Open("kv:test", new EngineOptions { DataDirectory = _directory.Path, FileSystem = disk });
        var tx = Begin();
        await _engine.ApplyAsync(tx, Operation.Create("put", ("key", "k"), ("value", 1)), default);
        var vote = await _engine.PrepareAsync(tx.Id, new PrepareInfo("coordinator"), default);

        // The record's fate is unknown: the coordinator must keep its decision, so no answer may say "done".
        disk.Fail = true;
        await Assert.ThrowsAsync<IOException>(async () => await _engine.CommitAsync(tx.Id, vote.PrepareTimestamp, default));
        await Assert.ThrowsAsync<IOException>(async () => await _engine.CommitAsync(tx.Id, vote.PrepareTimestamp, default));
    }

    private TransactionContext Begin(TimeProvider? time = null) =>
        new(TxId.NewId(), (time ?? TimeProvider.System).GetUtcNow().AddSeconds(30));

    private async Task CommitAsync(params (string Key, Value Value)[] writes)
    {
        var tx = Begin(null);
        foreach (var (key, value) in writes)
        {
            await _engine.ApplyAsync(tx, Operation.Create("put", ("key", key), ("value", value)), default);
        }

        await _engine.CommitOnePhaseAsync(tx.Id, _engine.Clock.Now(), default);
    }

    private async Task<Value> ReadAsync(Operation operation) => await _engine.ReadAsync(_engine.Clock.Now(), operation, default);

    private static string[] Keys(Value rows) => [.. rows.AsList().Select(r => r.AsMap()["key"].AsString())];
}
