using Cohort.Storage.Mvcc;

namespace Cohort.Tests.Storage.Mvcc;

public sealed class MvccStoreTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly MvccStore<string> _store = new(StringComparer.Ordinal, StringComparer.Ordinal);

    public void Dispose() => _store.Dispose();

    [Theory]
    [InlineData(5, null)]
    [InlineData(9, null)]
    [InlineData(10, "v10")]
    [InlineData(15, "v10")]
    [InlineData(20, "v20")]
    [InlineData(25, "v20")]
    [InlineData(30, "v30")]
    [InlineData(35, "v30")]
    public async Task ReadAsync_AtSnapshot_SeesNewestVersionCommittedAtOrBeforeIt(long at, string? expected)
    {
        InstallThreeVersions("k");

        var (found, value) = await _store.ReadAsync("k", Ts(at), CancellationToken.None);

        Assert.Equal(expected is not null, found);
        Assert.Equal(expected is null ? Value.Null : Value.From(expected), value);
    }

    [Fact]
    public async Task Install_OlderTimestampArrivingLate_KeepsVersionsOrdered()
    {
        _store.Install("k", Ts(30), "v30");
        _store.Install("k", Ts(10), "v10");
        _store.Install("k", Ts(20), "v20");

        Assert.Equal("v10", (await Read("k", 15)).Value.AsString());
        Assert.Equal("v20", (await Read("k", 25)).Value.AsString());
        Assert.Equal("v30", (await Read("k", 35)).Value.AsString());
        Assert.True(_store.TryGetLatest("k", out var latest));
        Assert.Equal("v30", latest.AsString());
    }

    [Fact]
    public async Task ReadAsync_AfterTombstone_HidesKeyButOlderSnapshotsStillSeeIt()
    {
        _store.Install("k", Ts(10), "v10");
        _store.Install("k", Ts(20), null);

        Assert.False((await Read("k", 25)).Found);
        Assert.False((await Read("k", 20)).Found);
        Assert.Equal("v10", (await Read("k", 15)).Value.AsString());
        Assert.False(_store.TryGetLatest("k", out _));

        _store.Install("k", Ts(30), "again");
        Assert.Equal("again", (await Read("k", 30)).Value.AsString());
        Assert.False((await Read("k", 29)).Found);
    }

    [Fact]
    public async Task Install_TombstoneForUnknownKey_StoresNothing()
    {
        _store.Install("ghost", Ts(10), null);

        Assert.Equal(0, _store.Count);
        Assert.False((await Read("ghost", 20)).Found);
    }

    [Fact]
    public async Task ScanAsync_WithPrefixAndLimit_ReturnsLiveKeysInOrder()
    {
        _store.Install("a/1", Ts(10), 1);
        _store.Install("a/3", Ts(10), 3);
        _store.Install("a/2", Ts(10), 2);
        _store.Install("a0", Ts(10), 99); // sorts right after the "a/" keys, outside the prefix
        _store.Install("b/1", Ts(10), 100);
        _store.Install("a/4", Ts(10), 4);
        _store.Install("a/4", Ts(20), null); // deleted

        var all = await _store.ScanAsync("a/", k => k.StartsWith("a/", StringComparison.Ordinal), 100, null, CancellationToken.None);
        var limited = await _store.ScanAsync("a/", k => k.StartsWith("a/", StringComparison.Ordinal), 2, null, CancellationToken.None);
        var fromMiddle = await _store.ScanAsync("a/2", k => k.StartsWith("a/", StringComparison.Ordinal), 100, null, CancellationToken.None);
        var everything = await _store.ScanAsync(null, _ => true, 100, null, CancellationToken.None);

        Assert.Equal(["a/1", "a/2", "a/3"], all.Select(e => e.Key));
        Assert.Equal([1L, 2L, 3L], all.Select(e => e.Value.AsInt64()));
        Assert.Equal(["a/1", "a/2"], limited.Select(e => e.Key));
        Assert.Equal(["a/2", "a/3"], fromMiddle.Select(e => e.Key));
        Assert.Equal(["a/1", "a/2", "a/3", "a0", "b/1"], everything.Select(e => e.Key));
        Assert.Empty(await _store.ScanAsync("a/", k => k.StartsWith("a/", StringComparison.Ordinal), 0, null, CancellationToken.None));
    }

    [Fact]
    public async Task ScanAsync_WithSnapshot_ReturnsVersionsAsOfIt()
    {
        _store.Install("p/1", Ts(10), "one@10");
        _store.Install("p/1", Ts(30), "one@30");
        _store.Install("p/2", Ts(20), "two@20"); // created after 15
        _store.Install("p/3", Ts(10), "three@10");
        _store.Install("p/3", Ts(12), null); // deleted before 15, recreated after
        _store.Install("p/3", Ts(25), "three@25");
        _store.Install("p/4", Ts(10), "four@10");
        _store.Install("p/4", Ts(18), null);

        bool InP(string k) => k.StartsWith("p/", StringComparison.Ordinal);
        var at15 = await _store.ScanAsync("p/", InP, 100, Ts(15), CancellationToken.None);
        var at26 = await _store.ScanAsync("p/", InP, 100, Ts(26), CancellationToken.None);
        var at26Limited = await _store.ScanAsync("p/", InP, 2, Ts(26), CancellationToken.None);
        var latest = await _store.ScanAsync("p/", InP, 100, null, CancellationToken.None);

        Assert.Equal(["p/1=one@10", "p/4=four@10"], at15.Select(Show));
        Assert.Equal(["p/1=one@10", "p/2=two@20", "p/3=three@25"], at26.Select(Show));
        Assert.Equal(["p/1=one@10", "p/2=two@20"], at26Limited.Select(Show));
        Assert.Equal(["p/1=one@30", "p/2=two@20", "p/3=three@25"], latest.Select(Show));
    }

    [Fact]
    public async Task ReadAsync_WithPreparedMarkerAtOrBeforeSnapshot_WaitsUntilCommittedAndSeesNewValue()
    {
        _store.Install("k", Ts(10), "old");
        var marker = _store.MarkPrepared(["k"], new TxId(1, 1), () => Ts(20));

        var read = _store.ReadAsync("k", Ts(25), CancellationToken.None).AsTask();
        var atPrepare = _store.ReadAsync("k", Ts(20), CancellationToken.None).AsTask();
        await Task.Yield();
        AssertPending(read, "a read at 25 must wait for a transaction prepared at 20");
        AssertPending(atPrepare, "a read at exactly the prepare timestamp must wait too");

        _store.InstallAll([new("k", "new")], Ts(22), marker);
        await Task.Yield();
        AssertPending(read, "the reader is only released by Resolve");

        marker.Resolve();
        var (found, value) = await read.WaitAsync(Deadline);
        var (_, valueAtPrepare) = await atPrepare.WaitAsync(Deadline);

        Assert.True(found);
        Assert.Equal("new", value.AsString());
        Assert.Equal("old", valueAtPrepare.AsString()); // committed at 22, after 20
    }

    [Fact]
    public async Task ReadAsync_WithPreparedMarkerCommittingAfterSnapshot_SeesOldValue()
    {
        _store.Install("k", Ts(10), "old");
        var marker = _store.MarkPrepared(["k"], new TxId(1, 1), () => Ts(20));

        var read = _store.ReadAsync("k", Ts(25), CancellationToken.None).AsTask();
        AssertPending(read, "the read must wait for the prepared transaction");
        _store.InstallAll([new("k", "new")], Ts(40), marker);
        marker.Resolve();

        Assert.Equal("old", (await read.WaitAsync(Deadline)).Value.AsString());
        Assert.Equal("new", (await Read("k", 40)).Value.AsString());
    }

    [Fact]
    public async Task ReadAsync_WithPreparedMarkerThatAborts_SeesOldValue()
    {
        _store.Install("k", Ts(10), "old");
        var marker = _store.MarkPrepared(["k"], new TxId(1, 1), () => Ts(20));

        var read = _store.ReadAsync("k", Ts(25), CancellationToken.None).AsTask();
        AssertPending(read, "the read must wait for the prepared transaction");
        _store.ClearPrepared(["k"], marker);
        marker.Resolve();

        Assert.Equal("old", (await read.WaitAsync(Deadline)).Value.AsString());
    }

    [Fact]
    public async Task ReadAsync_WithPreparedMarkerOnNewKey_WaitsAndSeesInsert()
    {
        var marker = _store.MarkPrepared(["new"], new TxId(1, 1), () => Ts(20));

        var read = _store.ReadAsync("new", Ts(25), CancellationToken.None).AsTask();
        AssertPending(read, "the read must wait for the prepared transaction");
        _store.InstallAll([new("new", "inserted")], Ts(21), marker);
        marker.Resolve();

        var (found, value) = await read.WaitAsync(Deadline);
        Assert.True(found);
        Assert.Equal("inserted", value.AsString());
    }

    [Fact]
    public async Task ReadAsync_WithPreparedMarkerAfterSnapshot_DoesNotBlock()
    {
        _store.Install("k", Ts(10), "old");
        var marker = _store.MarkPrepared(["k"], new TxId(1, 1), () => Ts(20));

        var read = _store.ReadAsync("k", Ts(19), CancellationToken.None);

        Assert.True(read.IsCompletedSuccessfully);
        Assert.Equal("old", (await read).Value.AsString());
        Assert.True(_store.TryGetLatest("k", out var latest)); // latest-committed reads never wait
        Assert.Equal("old", latest.AsString());
    }

    [Fact]
    public async Task ReadAsync_WaitingOnMarker_IsCancellable()
    {
        _store.Install("k", Ts(10), "old");
        _store.MarkPrepared(["k"], new TxId(1, 1), () => Ts(20));
        using var cancellation = new CancellationTokenSource();

        var read = _store.ReadAsync("k", Ts(25), cancellation.Token).AsTask();
        AssertPending(read, "the read must wait for the prepared transaction");
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(Deadline));
    }

    [Fact]
    public async Task ScanAsync_WithSnapshotAndPreparedMarkerInRange_WaitsUntilResolved()
    {
        _store.Install("s/1", Ts(10), "one");
        _store.Install("s/2", Ts(10), "two");
        var marker = _store.MarkPrepared(["s/2"], new TxId(1, 1), () => Ts(20));

        var scan = _store.ScanAsync("s/", k => k.StartsWith("s/", StringComparison.Ordinal), 10, Ts(25), CancellationToken.None).AsTask();
        var latest = await _store.ScanAsync("s/", k => k.StartsWith("s/", StringComparison.Ordinal), 10, null, CancellationToken.None);
        var beforeMarker = await _store.ScanAsync("s/", k => k.StartsWith("s/", StringComparison.Ordinal), 1, Ts(25), CancellationToken.None);
        AssertPending(scan, "the read must wait for the prepared transaction");
        Assert.Equal(["s/1=one", "s/2=two"], latest.Select(Show)); // no snapshot: newest committed, no wait
        Assert.Equal(["s/1=one"], beforeMarker.Select(Show)); // the limit is reached before the marked key

        _store.InstallAll([new("s/2", "TWO")], Ts(22), marker);
        marker.Resolve();

        Assert.Equal(["s/1=one", "s/2=TWO"], (await scan.WaitAsync(Deadline)).Select(Show));
    }

    [Fact]
    public async Task ScanAsync_WithSnapshotAndPreparedInsertOfNewKeyInRange_WaitsUntilResolved()
    {
        // A prepared transaction inserting a key that does not exist yet is a phantom for a snapshot scan:
        // if the scan answers now and the insert then commits at or before the snapshot, a second scan at
        // the same snapshot sees a row the first did not.
        _store.Install("s/1", Ts(10), "one");
        var marker = _store.MarkPrepared(["s/2"], new TxId(1, 1), () => Ts(20));

        var scan = _store.ScanAsync("s/", k => k.StartsWith("s/", StringComparison.Ordinal), 10, Ts(25), CancellationToken.None).AsTask();
        var answeredEarly = scan.IsCompleted;

        _store.InstallAll([new("s/2", "two")], Ts(22), marker);
        marker.Resolve();
        var first = await scan.WaitAsync(Deadline);
        var second = await _store.ScanAsync("s/", k => k.StartsWith("s/", StringComparison.Ordinal), 10, Ts(25), CancellationToken.None);

        Assert.False(answeredEarly, "the scan at 25 answered while a transaction prepared at 20 could still insert into its range");
        Assert.Equal(second.Select(Show), first.Select(Show));
    }

    [Fact]
    public async Task CollectGarbage_KeepsVersionVisibleAtHorizonAndDropsOlder()
    {
        InstallThreeVersions("k");
        _store.Install("other", Ts(10), "only");

        var removed = _store.CollectGarbage(Ts(25));

        Assert.Equal(1, removed);
        Assert.Equal(Ts(25), _store.Horizon);
        Assert.Equal("v20", (await Read("k", 25)).Value.AsString());
        Assert.Equal("v30", (await Read("k", 35)).Value.AsString());
        Assert.Equal("only", (await Read("other", 25)).Value.AsString());
        Assert.Equal([30L, 20L], Versions("k"));
        Assert.Equal(2, _store.Count);
    }

    [Theory]
    [InlineData(24)]
    [InlineData(15)]
    [InlineData(0)]
    public async Task ReadAsync_BelowHorizon_ThrowsSnapshotTooOld(long at)
    {
        InstallThreeVersions("k");
        _store.CollectGarbage(Ts(25));

        var read = await Assert.ThrowsAsync<CohortException>(async () => await _store.ReadAsync("k", Ts(at), CancellationToken.None));
        var scan = await Assert.ThrowsAsync<CohortException>(async () => await _store.ScanAsync(null, _ => true, 10, Ts(at), CancellationToken.None));

        Assert.Equal(ErrorCodes.SnapshotTooOld, read.Code);
        Assert.Equal(ErrorCodes.SnapshotTooOld, scan.Code);
    }

    [Fact]
    public void CollectGarbage_WithLowerHorizonLater_DoesNotMoveHorizonBack()
    {
        InstallThreeVersions("k");
        _store.CollectGarbage(Ts(25));

        _store.CollectGarbage(Ts(12));

        Assert.Equal(Ts(25), _store.Horizon);
    }

    [Fact]
    public async Task CollectGarbage_TombstoneOlderThanHorizon_RemovesKey()
    {
        _store.Install("gone", Ts(10), "x");
        _store.Install("gone", Ts(20), null);
        _store.Install("late", Ts(10), "y");
        _store.Install("late", Ts(40), null);
        _store.Install("kept", Ts(10), "z");
        Assert.Equal(3, _store.Count);

        var removed = _store.CollectGarbage(Ts(30));

        Assert.Equal(2, removed); // the "x" version and the "gone" key itself
        Assert.Equal(2, _store.Count);
        Assert.False((await Read("gone", 30)).Found);
        Assert.Equal("y", (await Read("late", 30)).Value.AsString()); // its tombstone is newer than the horizon

        _store.CollectGarbage(Ts(50));

        Assert.Equal(1, _store.Count);
        Assert.False((await Read("late", 50)).Found);
    }

    [Fact]
    public void CollectGarbage_TombstonedKeyWithPreparedMarker_IsKept()
    {
        _store.Install("k", Ts(10), "x");
        _store.Install("k", Ts(20), null);
        _store.MarkPrepared(["k"], new TxId(1, 1), () => Ts(40));

        _store.CollectGarbage(Ts(30));

        Assert.Equal(1, _store.Count);
    }

    [Fact]
    public async Task ReadAsync_WhenGarbageCollectionPassesItsSnapshotWhileWaiting_ThrowsSnapshotTooOld()
    {
        // The reader checks the horizon, then waits for a prepared transaction; meanwhile the horizon
        // moves past its snapshot and the version it should see is collected. Answering "not found"
        // afterwards would be a wrong result; the read must fail with snapshot_too_old instead.
        _store.Install("k", Ts(10), "v10");
        _store.Install("k", Ts(20), "v20");
        var marker = _store.MarkPrepared(["k"], new TxId(1, 1), () => Ts(12));

        var read = _store.ReadAsync("k", Ts(15), CancellationToken.None).AsTask();
        AssertPending(read, "the read must wait for the prepared transaction");
        _store.CollectGarbage(Ts(20));
        _store.ClearPrepared(["k"], marker);
        marker.Resolve();

        var outcome = await Record.ExceptionAsync(async () =>
        {
            var (found, value) = await read.WaitAsync(Deadline);
            Assert.Fail($"read at 15 after the horizon moved to 20 returned found={found}, value={value} instead of failing");
        });

        Assert.True(outcome is CohortException { Code: ErrorCodes.SnapshotTooOld }, outcome?.Message);
    }

    [Fact]
    public void ForEach_VisitsKeysInOrderWithVersionsNewestFirst()
    {
        _store.Install("b", Ts(10), "b10");
        _store.Install("a", Ts(10), "a10");
        _store.Install("a", Ts(20), null);
        var seen = new List<string>();

        _store.ForEach((key, versions) => seen.Add(key + ":" + string.Join(",", versions.Select(v => $"{v.Timestamp.Value}={(v.Value is { } x ? x.AsString() : "deleted")}"))));

        Assert.Equal(["a:20=deleted,10=a10", "b:10=b10"], seen);
    }

    [Fact]
    public async Task ReadAsync_ConcurrentWithInstalls_AlwaysSeesACommittedVersion()
    {
        const int Versions = 2000;
        _store.Install("k", Ts(1), 1);
        var writer = Task.Run(() =>
        {
            for (var i = 2; i <= Versions; i++)
            {
                _store.Install("k", Ts(i), i);
            }
        });

        var random = new Random(5);
        while (!writer.IsCompleted)
        {
            var at = random.Next(1, Versions + 1);
            var (found, value) = await Read("k", at);
            Assert.True(found);
            Assert.InRange(value.AsInt64(), 1, at); // exactly at, unless that version is not installed yet
        }

        await writer.WaitAsync(Deadline);
        for (var at = 1; at <= Versions; at += 97)
        {
            Assert.Equal(at, (await Read("k", at)).Value.AsInt64());
        }
    }

    private void InstallThreeVersions(string key)
    {
        _store.Install(key, Ts(10), "v10");
        _store.Install(key, Ts(20), "v20");
        _store.Install(key, Ts(30), "v30");
    }

    private async Task<(bool Found, Value Value)> Read(string key, long at) =>
        await _store.ReadAsync(key, Ts(at), CancellationToken.None);

    private List<long> Versions(string key)
    {
        var result = new List<long>();
        _store.ForEach((k, versions) =>
        {
            if (k == key)
            {
                result.AddRange(versions.Select(v => v.Timestamp.Value));
            }
        });
        return result;
    }

    private static void AssertPending(Task task, string because) =>
        Assert.False(task.IsCompleted, $"{because} (it finished as {task.Status}{(task.Exception is { } e ? ": " + e.InnerException?.Message : "")})");

    private static string Show(KeyValuePair<string, Value> entry) => $"{entry.Key}={entry.Value.AsString()}";

    private static HlcTimestamp Ts(long value) => new(value);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(32)]
    [InlineData(1024)]
    public void EnumerateAt_InChunks_GivesWhatScanAtGives_AcrossTombstonesAndVersions(int chunk)
    {
        // 300 keys k000..k299; every third deleted at 20; every fifth rewritten at 30.
        for (var i = 0; i < 300; i++)
        {
            var key = $"k{i:D3}";
            _store.Install(key, Ts(10), $"a{i}");
            if (i % 3 == 0)
            {
                _store.Install(key, Ts(20), null);
            }

            if (i % 5 == 0)
            {
                _store.Install(key, Ts(30), $"b{i}");
            }
        }

        foreach (var at in new HlcTimestamp?[] { Ts(15), Ts(25), Ts(35), null })
        {
            foreach (var (from, to) in new (string?, string)[] { (null, "z"), ("k100", "k200"), ("k099", "k100"), ("k150", "k150"), ("k299", "z") })
            {
                var expected = _store.ScanAt(from, k => string.CompareOrdinal(k, to) < 0, int.MaxValue, at);
                var streamed = _store.EnumerateAt(from, k => string.CompareOrdinal(k, to) < 0, at, chunk).ToList();
                Assert.Equal(expected, streamed);
            }
        }

        // Deleted at 20: every third key (100), less every fifteenth (20), rewritten at 30.
        Assert.Equal(300 - 100 + 20, _store.EnumerateAt(null, _ => true, Ts(35), chunk).Count());
    }

    [Fact]
    public void EnumerateAt_StoppedEarly_ReadsOnlyItsFirstChunk()
    {
        for (var i = 0; i < 5000; i++)
        {
            _store.Install($"k{i:D4}", Ts(10), i);
        }

        var visited = 0;
        var first = _store.EnumerateAt(null, _ => ++visited > 0, Ts(20)).Take(3).ToList();

        Assert.Equal(["k0000", "k0001", "k0002"], first.Select(e => e.Key));
        Assert.InRange(visited, 3, 64);
    }
}
