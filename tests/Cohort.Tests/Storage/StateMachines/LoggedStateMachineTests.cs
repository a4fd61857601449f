using System.Buffers.Binary;
using Cohort.Storage.StateMachines;
using Cohort.Storage.Wal;

namespace Cohort.Tests.Storage.StateMachines;

/// <summary>Recovery from snapshot plus log tail, checkpoints, and a crash between snapshot and truncation.</summary>
public sealed class LoggedStateMachineTests : IDisposable
{
    private const byte AddRecord = 7;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Open_WithoutSnapshot_ReplaysTheWholeLog()
    {
        await using (var first = Counters.Open(_directory.Path))
        {
            await first.AddAsync("a", 1);
            await first.AddAsync("b", 2);
            await first.AddAsync("a", 3);
        }

        await using var reopened = Counters.Open(_directory.Path);
        Assert.Equal(1, reopened.Machine.FromSegment);
        Assert.Equal(3, reopened.Machine.RecordsReplayed);
        Assert.Equal(new Dictionary<string, long> { ["a"] = 4, ["b"] = 2 }, reopened.Values);
        Assert.Equal(0, reopened.SnapshotsLoaded);
    }

    [Fact]
    public async Task Open_AfterCheckpoint_LoadsSnapshotAndReplaysOnlyTheTail()
    {
        CheckpointResult checkpoint;
        await using (var first = Counters.Open(_directory.Path))
        {
            for (var i = 0; i < 10; i++)
            {
                await first.AddAsync("a", 1);
            }

            checkpoint = await first.Machine.CheckpointAsync(CancellationToken.None);
            await first.AddAsync("a", 100);
            await first.AddAsync("b", 5);
        }

        await using var reopened = Counters.Open(_directory.Path);
        Assert.Equal(1, reopened.SnapshotsLoaded);
        Assert.Equal(checkpoint.Segment, reopened.Machine.FromSegment);
        Assert.Equal(2, reopened.Machine.RecordsReplayed);
        Assert.Equal(new Dictionary<string, long> { ["a"] = 110, ["b"] = 5 }, reopened.Values);
    }

    [Fact]
    public async Task Checkpoint_DeletesTheSegmentsItCovers()
    {
        await using var counters = Counters.Open(_directory.Path);
        await counters.AddAsync("a", 1);
        var walDirectory = Path.Combine(_directory.Path, "wal");
        var before = Directory.GetFiles(walDirectory);
        Assert.NotEmpty(before);

        var checkpoint = await counters.Machine.CheckpointAsync(CancellationToken.None);

        Assert.Equal(before.Length, checkpoint.DeletedSegments);
        Assert.All(before, path => Assert.False(File.Exists(path), $"{path} survived the checkpoint"));
        Assert.True(checkpoint.SnapshotBytes > 0);
        Assert.Single(Directory.GetFiles(Path.Combine(_directory.Path, "snapshots")));
    }

    [Fact]
    public async Task Checkpoint_SerializesTheStateUnderTheOwnersLock()
    {
        await using var counters = Counters.Open(_directory.Path);
        await counters.AddAsync("a", 1);
        await counters.Machine.CheckpointAsync(CancellationToken.None);
        Assert.Equal(1, counters.SnapshotsWritten);
        Assert.True(counters.SnapshotTakenUnderLock);
    }

    [Fact]
    public async Task Open_AfterCrashBetweenSnapshotAndTruncation_AppliesNoRecordTwice()
    {
        var walDirectory = Path.Combine(_directory.Path, "wal");
        var saved = Path.Combine(_directory.Path, "saved-wal");
        await using (var first = Counters.Open(_directory.Path))
        {
            await first.AddAsync("a", 1);
            await first.AddAsync("a", 2);
            await first.AddAsync("b", 10);

            // What the segments held before the checkpoint deleted them.
            Directory.CreateDirectory(saved);
            foreach (var file in Directory.GetFiles(walDirectory))
            {
                File.Copy(file, Path.Combine(saved, Path.GetFileName(file)));
            }

            await first.Machine.CheckpointAsync(CancellationToken.None);
            await first.AddAsync("a", 4);
        }

        // The crash: the snapshot is on disk but the covered segments were never deleted.
        var restored = new List<string>();
        foreach (var file in Directory.GetFiles(saved))
        {
            var target = Path.Combine(walDirectory, Path.GetFileName(file));
            Assert.False(File.Exists(target));
            File.Copy(file, target);
            restored.Add(target);
        }

        await using (var reopened = Counters.Open(_directory.Path))
        {
            Assert.Equal(new Dictionary<string, long> { ["a"] = 7, ["b"] = 10 }, reopened.Values);
            Assert.Equal(1, reopened.Machine.RecordsReplayed);

            // Opening finished the interrupted truncation.
            Assert.All(restored, path => Assert.False(File.Exists(path), $"{path} was not deleted at open"));
        }

        // And a second restart sees the same state.
        await using var again = Counters.Open(_directory.Path);
        Assert.Equal(new Dictionary<string, long> { ["a"] = 7, ["b"] = 10 }, again.Values);
    }

    [Fact]
    public async Task Checkpoint_Repeated_KeepsOnlyTheNewestSnapshotsCoverage()
    {
        await using (var first = Counters.Open(_directory.Path))
        {
            await first.AddAsync("a", 1);
            await first.Machine.CheckpointAsync(CancellationToken.None);
            await first.AddAsync("a", 2);
            var second = await first.Machine.CheckpointAsync(CancellationToken.None);
            Assert.Equal(1, second.DeletedSegments);
            await first.AddAsync("a", 4);
        }

        await using var reopened = Counters.Open(_directory.Path);
        Assert.Equal(new Dictionary<string, long> { ["a"] = 7 }, reopened.Values);
        Assert.Equal(1, reopened.Machine.RecordsReplayed);
    }

    // A state whose records are not idempotent (each adds to a counter), so replaying one twice shows.
    private sealed class Counters : ILoggedState, IAsyncDisposable
    {
        private readonly Lock _sync = new();

        public Dictionary<string, long> Values { get; } = [];

        public LoggedStateMachine Machine { get; private set; } = null!;

        public int SnapshotsLoaded { get; private set; }

        public int SnapshotsWritten { get; private set; }

        public bool SnapshotTakenUnderLock { get; private set; }

        public static Counters Open(string directory)
        {
            var counters = new Counters();
            counters.Machine = LoggedStateMachine.Open(directory, DurabilityMode.Fsync, WalOptions.DefaultSegmentBytes, counters, counters._sync);
            return counters;
        }

        public async Task AddAsync(string key, long delta)
        {
            var payload = new byte[8 + System.Text.Encoding.UTF8.GetByteCount(key)];
            BinaryPrimitives.WriteInt64LittleEndian(payload, delta);
            System.Text.Encoding.UTF8.GetBytes(key, payload.AsSpan(8));
            Task durable;
            lock (_sync)
            {
                Add(key, delta);
                durable = Machine.Wal.Append(AddRecord, payload);
            }

            await durable;
        }

        public void LoadSnapshot(byte[] payload)
        {
            SnapshotsLoaded++;
            using var reader = new BinaryReader(new MemoryStream(payload));
            var count = reader.ReadInt32();
            for (var i = 0; i < count; i++)
            {
                Values[reader.ReadString()] = reader.ReadInt64();
            }
        }

        public void Apply(WalRecord record)
        {
            Assert.Equal(AddRecord, record.Type);
            var span = record.Payload.Span;
            Add(System.Text.Encoding.UTF8.GetString(span[8..]), BinaryPrimitives.ReadInt64LittleEndian(span));
        }

        public ReadOnlyMemory<byte> WriteSnapshot()
        {
            SnapshotsWritten++;
            SnapshotTakenUnderLock = _sync.IsHeldByCurrentThread;
            var stream = new MemoryStream();
            using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(Values.Count);
                foreach (var (key, value) in Values)
                {
                    writer.Write(key);
                    writer.Write(value);
                }
            }

            return stream.ToArray();
        }

        public ValueTask DisposeAsync() => Machine.DisposeAsync();

        private void Add(string key, long delta) => Values[key] = Values.GetValueOrDefault(key) + delta;
    }
}
