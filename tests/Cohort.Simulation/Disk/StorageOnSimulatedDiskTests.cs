using System.Buffers.Binary;
using Cohort.Coordination;
using Cohort.Core.Execution;
using Cohort.Protocol;
using Cohort.Storage;
using Cohort.Storage.Snapshots;
using Cohort.Storage.Wal;

namespace Cohort.Simulation.Disk;

/// <summary>The storage kernel (write-ahead log, atomic file replacement, snapshots) on a crashing simulated disk.</summary>
public sealed class StorageOnSimulatedDiskTests
{
    private const string WalDirectory = "/node/wal";
    private const int Seeds = 300;

    [Fact]
    public void Wal_KeepsEveryAcknowledgedAppendThroughCrashes_AndReplaysAPrefixOfWhatWasAppended()
    {
        var totals = new CrashTotals();
        for (var seed = 0; seed < Seeds; seed++)
        {
            totals.Add(RunCrashCycles(seed, fsyncFailureProbability: 0));
        }

        // The property above is only as strong as the crashes it went through.
        Assert.True(totals.TornTails > 20, $"torn tails: {totals.TornTails}");
        Assert.True(totals.BytesLost > 0);
        Assert.True(totals.TruncationWarnings > 50, $"truncated tails: {totals.TruncationWarnings}");
        Assert.True(totals.CrashesInsideTheDisk > 50, $"crashes inside a disk call: {totals.CrashesInsideTheDisk}");
        Assert.True(totals.Acknowledged > Seeds * 20, $"acknowledged: {totals.Acknowledged}");
    }

    [Fact]
    public void Wal_KeepsEveryAcknowledgedAppend_WhenFsyncsFail()
    {
        var totals = new CrashTotals();
        for (var seed = 0; seed < Seeds / 3; seed++)
        {
            totals.Add(RunCrashCycles(seed, fsyncFailureProbability: 0.05));
        }

        Assert.True(totals.FailedFsyncs > 20, $"failed fsyncs: {totals.FailedFsyncs}");
        Assert.True(totals.Acknowledged > Seeds * 3, $"acknowledged: {totals.Acknowledged}");
    }

    [Fact]
    public void Wal_RunsAsAFunctionOfTheSeed()
    {
        Assert.Equal(RunCrashCycles(42, 0.02), RunCrashCycles(42, 0.02));
        Assert.Equal(RunCrashCycles(7, 0), RunCrashCycles(7, 0));
    }

    [Fact]
    public void Wal_UnderSimulation_FlushesOnTheSimulationThread_AndDisposes()
    {
        SingleThreadExecutor.Simulate(11, async sim =>
        {
            var disk = new SimulatedDisk(new Random(11));
            var options = Options(disk);
            var log = WriteAheadLog.Open(options, 0, _ => { });
            var appends = Enumerable.Range(0, 50).Select(i => log.Append((byte)i, Payload(i, 100))).ToList();
            Assert.False(appends[^1].IsCompleted); // nothing runs inline: the flush is a posted pass
            await Task.WhenAll(appends);
            Assert.Equal(sim.ThreadId, Environment.CurrentManagedThreadId);
            Assert.InRange(log.FlushCount, 1, 2);

            var segment = log.CurrentSegment;
            log.Rotate();
            await log.Append(1, Payload(50, 10));
            Assert.Equal(segment + 1, log.CurrentSegment);
            await log.DisposeAsync();
            Assert.Equal(sim.ThreadId, Environment.CurrentManagedThreadId);

            disk.Crash();
            var replayed = new List<int>();
            await using var reopened = WriteAheadLog.Open(options, 0, r => replayed.Add(BinaryPrimitives.ReadInt32LittleEndian(r.Payload.Span)));
            Assert.Equal(Enumerable.Range(0, 51), replayed);
        });
    }

    [Fact]
    public void Wal_FailedFsync_FailsThePendingAndEveryLaterAppend()
    {
        SingleThreadExecutor.Simulate(12, async sim =>
        {
            var disk = new SimulatedDisk(new Random(12));
            var options = Options(disk);
            var log = WriteAheadLog.Open(options, 0, _ => { });
            await log.Append(1, Payload(0, 10));

            disk.FailNextFsync(WriteAheadLog.SegmentPath(WalDirectory, 1));
            var failing = log.Append(1, Payload(1, 10));
            log.Rotate(); // seals that batch: the next append goes to another one, still pending when the fsync fails
            var later = log.Append(1, Payload(2, 10));

            var error = await Assert.ThrowsAsync<IOException>(() => failing);
            Assert.Contains("fsync", error.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<IOException>(() => later);
            Assert.Equal(1, disk.FailedFsyncs);
            var refused = Assert.Throws<CohortException>(() => { _ = log.Append(1, Payload(3, 10)); }); // synchronously
            Assert.Equal(ErrorCodes.Corruption, refused.Code);
            Assert.Throws<CohortException>(() => { _ = log.FlushAsync(); });
            Assert.Throws<CohortException>(() => log.Rotate());
            await log.DisposeAsync();

            disk.Crash();
            var replayed = new List<int>();
            await using var reopened = WriteAheadLog.Open(options, 0, r => replayed.Add(BinaryPrimitives.ReadInt32LittleEndian(r.Payload.Span)));
            Assert.Equal(0, replayed[0]);
            Assert.InRange(replayed.Count, 1, 2); // the failed append may or may not have reached the disk
            await reopened.Append(1, Payload(4, 10));
            Assert.Equal(sim.ThreadId, Environment.CurrentManagedThreadId);
        });
    }

    [Fact]
    public void DurableFile_Replace_LeavesOldOrNewAfterACrash()
    {
        const string Path = "/node/cluster/state.json";
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var seed = 0; seed < Seeds; seed++)
        {
            var disk = new SimulatedDisk(new Random(seed));
            var random = new Random(seed + 100_000);
            DurableFile.Replace(disk, Path, "old"u8);
            disk.CrashAtOperation(random.Next(0, 7));
            var completed = false;
            try
            {
                DurableFile.Replace(disk, Path, "new contents"u8);
                completed = true;
            }
            catch (SimulatedCrashException)
            {
            }

            if (disk.Crashes == 0)
            {
                disk.CrashAtOperation(0);
                disk.Crash();
            }

            var contents = System.Text.Encoding.ASCII.GetString(disk.ReadAllBytes(Path));
            Assert.True(contents is "old" or "new contents", $"seed {seed}: '{contents}'");
            if (completed)
            {
                Assert.Equal("new contents", contents);
            }

            outcomes[contents] = outcomes.GetValueOrDefault(contents) + 1;
        }

        Assert.Equal(2, outcomes.Count);
    }

    [Fact]
    public async Task SnapshotStore_RoundTripsAndSurvivesACrashMidWrite()
    {
        const string Directory = "/node/snapshots";
        var first = Payload(1, 3000);
        var second = Payload(2, 5000);
        var outcomes = new HashSet<long>();
        for (var seed = 0; seed < 100; seed++)
        {
            var disk = new SimulatedDisk(new Random(seed));
            var store = new SnapshotStore(Directory, disk);
            Assert.Null(store.LoadNewest());
            await store.WriteAsync(3, first, CancellationToken.None);
            disk.Crash();
            var loaded = new SnapshotStore(Directory, disk).LoadNewest();
            Assert.NotNull(loaded);
            Assert.Equal(3, loaded.Value.WalSegment);
            Assert.Equal(first, loaded.Value.Payload);

            var random = new Random(seed + 100_000);
            disk.CrashAtOperation(random.Next(0, 8));
            var completed = false;
            try
            {
                await store.WriteAsync(5, second, CancellationToken.None);
                completed = true;
            }
            catch (SimulatedCrashException)
            {
            }

            if (disk.Crashes == 1)
            {
                disk.CrashAtOperation(0);
                disk.Crash();
            }

            var after = new SnapshotStore(Directory, disk).LoadNewest();
            Assert.NotNull(after);
            var (segment, payload) = after.Value;
            Assert.Equal(segment == 3 ? first : second, payload);
            if (completed)
            {
                Assert.Equal(5, segment);
            }

            outcomes.Add(segment);
            Assert.Empty(disk.EnumerateFiles(Directory, "*.tmp"));
        }

        Assert.Equal([3, 5], outcomes.Order());
    }

    [Fact]
    public void FileDecisionLog_OnTheSimulatedDisk_RecoversUnfinishedDecisionsAfterCompactionAndACrash()
    {
        SingleThreadExecutor.Simulate(13, async sim =>
        {
            var disk = new SimulatedDisk(new Random(13));
            var options = new FileDecisionLogOptions { Directory = "/node/decisions", SegmentBytes = 4096, FileSystem = disk };
            var decisions = Enumerable.Range(0, 6)
                .Select(i => new CommitDecision(TxId.NewId(), [new Participant($"kv:r{i}", "n1")], new HlcTimestamp(1_000 + i), Epoch: 1))
                .ToList();
            var log = FileDecisionLog.Open(options);
            foreach (var decision in decisions.Take(5))
            {
                await log.WriteCommitAsync(decision, CancellationToken.None);
            }

            log.WriteEnd(decisions[0].TxId);
            log.WriteEnd(decisions[2].TxId);
            await log.CompactAsync();
            Assert.Single(disk.EnumerateFiles("/node/decisions/snapshots", "snapshot-*.snap"));
            await log.WriteCommitAsync(decisions[5], CancellationToken.None);
            Assert.Equal(sim.ThreadId, Environment.CurrentManagedThreadId);

            disk.Crash();
            sim.DropQueued();
            await using var reopened = FileDecisionLog.Open(options);
            Assert.Equal(
                [decisions[1].TxId, decisions[3].TxId, decisions[4].TxId, decisions[5].TxId],
                reopened.GetUnfinished().OrderBy(d => d.CommitTimestamp).Select(d => d.TxId));
        });
    }

    // One seed: a few incarnations of a log, each ended by a crash (between two steps, or inside a disk call) or by a
    // restart without power loss, checking after each reopen that every acknowledged append is replayed and that what
    // is replayed is a prefix of what was appended.
    private static CrashTotals RunCrashCycles(int seed, double fsyncFailureProbability) =>
        SingleThreadExecutor.Simulate(seed, async sim =>
        {
            var random = sim.Random;
            var disk = new SimulatedDisk(new Random(seed ^ 0x5eed)) { FsyncFailureProbability = fsyncFailureProbability };
            var options = Options(disk);
            var totals = new CrashTotals();
            var history = new List<int>(); // sequence numbers, in log order, of what the log would hold if nothing were lost
            var acknowledged = 0;           // history[..acknowledged] was acknowledged as durable
            var sequence = 0;
            for (var cycle = 0; cycle < 5; cycle++)
            {
                var (log, replayed) = Reopen(sim, disk, options, totals);
                AssertPrefix(seed, cycle, history, acknowledged, replayed);
                history = replayed;
                acknowledged = replayed.Count;

                var crashesBefore = disk.Crashes;
                if (random.Next(3) == 0)
                {
                    disk.CrashAtOperation(1 + random.Next(20));
                }

                var pending = new List<(int Count, Task Durable)>();
                var steps = random.Next(1, 80);
                for (var step = 0; step < steps && disk.Crashes == crashesBefore; step++)
                {
                    try
                    {
                        switch (random.Next(12))
                        {
                            case < 7:
                                var durable = log.Append((byte)(sequence % 251), Payload(sequence, random.Next(0, 700)));
                                history.Add(sequence++);
                                pending.Add((history.Count, durable));
                                break;
                            case 7:
                                log.Rotate();
                                break;
                            case 8:
                                pending.Add((history.Count, log.FlushAsync()));
                                break;
                            case < 11 when pending.Count > 0:
                                await pending[random.Next(pending.Count)].Durable;
                                break;
                            default:
                                await Yield(sim, random.Next(1, 4));
                                break;
                        }
                    }
                    catch (Exception e) when (e is IOException or CohortException)
                    {
                        // The log failed (a failed fsync, or the machine crashed inside a write): it is fail-stop.
                    }
                }

                foreach (var (count, durable) in pending)
                {
                    if (durable.IsCompletedSuccessfully)
                    {
                        acknowledged = Math.Max(acknowledged, count);
                    }
                }

                totals.CrashesInsideTheDisk += disk.Crashes - crashesBefore;
                if (disk.Crashes == crashesBefore && random.Next(4) > 0)
                {
                    disk.Crash(); // power loss between two steps, with flush passes still queued
                }

                // The process dies (or restarts): its queued work never runs, its log is abandoned, not disposed.
                disk.CrashAtOperation(0);
                sim.DropQueued();
            }

            // A clean shutdown loses nothing.
            disk.FsyncFailureProbability = 0;
            var (last, lastReplayed) = Reopen(sim, disk, options, totals);
            AssertPrefix(seed, -1, history, acknowledged, lastReplayed);
            var tail = Enumerable.Range(sequence, 10).Select(s => last.Append((byte)(s % 251), Payload(s, 50))).ToList();
            await Task.WhenAll(tail);
            await last.DisposeAsync();
            var (final, finalReplayed) = Reopen(sim, disk, options, totals);
            Assert.Equal(lastReplayed.Concat(Enumerable.Range(sequence, 10)), finalReplayed);
            await final.DisposeAsync();

            totals.Acknowledged = acknowledged;
            totals.TornTails = disk.TornTails;
            totals.BytesLost = disk.BytesLost;
            totals.FailedFsyncs = disk.FailedFsyncs;
            totals.Steps = sim.Steps;
            return totals;
        });

    // Opens the log as a restarting process would, again and again while the opening itself fails.
    private static (WriteAheadLog Log, List<int> Replayed) Reopen(SingleThreadExecutor sim, SimulatedDisk disk, WalOptions options, CrashTotals totals)
    {
        for (var attempt = 0; ; attempt++)
        {
            var replayed = new List<int>();
            try
            {
                var log = WriteAheadLog.Open(
                    options,
                    0,
                    r =>
                    {
                        var sequence = BinaryPrimitives.ReadInt32LittleEndian(r.Payload.Span);
                        Assert.Equal(Payload(sequence, r.Payload.Length), r.Payload.ToArray());
                        Assert.Equal((byte)(sequence % 251), r.Type);
                        replayed.Add(sequence);
                    },
                    _ => totals.TruncationWarnings++);
                return (log, replayed);
            }
            catch (IOException) when (attempt < 100)
            {
                // An fsync failed during recovery: the process exits and starts again.
                sim.DropQueued();
            }
        }
    }

    private static void AssertPrefix(int seed, int cycle, List<int> history, int acknowledged, List<int> replayed)
    {
        Assert.True(
            replayed.Count >= acknowledged && replayed.Count <= history.Count && history.Take(replayed.Count).SequenceEqual(replayed),
            $"seed {seed}, cycle {cycle}: replayed {replayed.Count} records, {acknowledged} acknowledged of {history.Count} appended; "
            + $"first difference at {history.Zip(replayed).TakeWhile(p => p.First == p.Second).Count()}");
    }

    // Lets the simulation run a few queued actions (flush passes, completions) before the next step.
    private static async Task Yield(SingleThreadExecutor sim, int times)
    {
        for (var i = 0; i < times; i++)
        {
            var turn = new Promise();
            sim.Post(() => turn.TrySetResult());
            await turn.Task;
        }
    }

    private static WalOptions Options(SimulatedDisk disk) => new()
    {
        Directory = WalDirectory,
        SegmentBytes = 4096,
        FileSystem = disk,
    };

    // Deterministic contents for a sequence number: the number, then bytes derived from it.
    private static byte[] Payload(int sequence, int length)
    {
        var payload = new byte[Math.Max(length, 4)];
        BinaryPrimitives.WriteInt32LittleEndian(payload, sequence);
        for (var i = 4; i < payload.Length; i++)
        {
            payload[i] = (byte)((sequence * 31) + (i * 7));
        }

        return payload;
    }

    private sealed record CrashTotals
    {
        public long Acknowledged { get; set; }

        public long TornTails { get; set; }

        public long BytesLost { get; set; }

        public long FailedFsyncs { get; set; }

        public long TruncationWarnings { get; set; }

        public long CrashesInsideTheDisk { get; set; }

        public long Steps { get; set; }

        public void Add(CrashTotals other)
        {
            Acknowledged += other.Acknowledged;
            TornTails += other.TornTails;
            BytesLost += other.BytesLost;
            FailedFsyncs += other.FailedFsyncs;
            TruncationWarnings += other.TruncationWarnings;
            CrashesInsideTheDisk += other.CrashesInsideTheDisk;
            Steps += other.Steps;
        }
    }
}
