using System.Globalization;
using System.Text;
using Cohort.Simulation.Disk;
using Cohort.Simulation.Runtime;
using Cohort.Storage.Wal;
using Xunit.Abstractions;

namespace Cohort.Simulation.Schedules;

/// <summary>
/// The write-ahead log's group commit under a thousand interleavings: a few writers append concurrently (some several
/// records before awaiting them, some flushing or rotating segments), the flusher runs as posted passes with simulated
/// device latency, and the machine crashes at a random point: at a random virtual time, or inside a random disk call
/// of the flusher. While it lives, no append stays pending longer than the device takes (no lost wake-up). After the
/// crash the log is reopened: what it replays must be a prefix of the order the records were appended in (so each
/// writer's records come back in order, without gaps or duplicates), and it must hold every append whose task
/// completed, or that a completed flush covered, before the crash (acknowledged implies durable).
/// </summary>
public sealed class WalSchedules(ITestOutputHelper output)
{
    private const string WalDirectory = "/node/wal";
    private const int Seeds = 1_000;

    // PostIo's device latency is under 2 ms of virtual time, and every ready step runs before time moves on: an append
    // (or flush) still pending 2 ms after it was made will never complete (a lost wake-up).
    private const long MaxPendingTicks = 20_000;

    [Fact]
    public void Wal_GroupCommit_KeepsAcknowledgedAppends_AndReplaysAPrefixInAppendOrder_InEveryExploredSchedule()
    {
        var totals = new Totals();
        var failures = Schedules.Explore(Seeds, loop => ScenarioAsync(loop, totals));
        output.WriteLine(totals.ToString());
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(5)));

        // The properties are only as strong as the schedules that reached them.
        Assert.True(totals.SeedsWithGroupCommit > Seeds / 4, $"seeds where one fsync acknowledged several appends: {totals.SeedsWithGroupCommit}");
        Assert.True(totals.CompleteSeeds > Seeds / 10 && totals.CompleteFlushes > 0, $"seeds whose appends all finished before the crash: {totals.CompleteSeeds}");
        Assert.True(totals.CompleteRecords > 1.5 * totals.CompleteFlushes, $"appends per fsync: {totals.CompleteRecords} / {totals.CompleteFlushes}");
        Assert.True(totals.TimerCrashesMidFlight > Seeds / 10, $"crashes with appends in flight: {totals.TimerCrashesMidFlight}");
        Assert.True(totals.DiskCallCrashes > Seeds / 10, $"crashes inside a disk call: {totals.DiskCallCrashes}");
        Assert.True(totals.Truncations > 10, $"torn tails truncated at reopen: {totals.Truncations}");
        Assert.True(totals.Acknowledged > Seeds * 10, $"acknowledged appends: {totals.Acknowledged}");
        Assert.True(totals.ReplayedUnacknowledged > 0, $"unacknowledged appends found durable: {totals.ReplayedUnacknowledged}");
        Assert.True(totals.Rotations > Seeds, $"segment rotations: {totals.Rotations}");
    }

    private static async Task<string?> ScenarioAsync(SimLoop loop, Totals totals)
    {
        var random = loop.Random;
        var disk = new SimulatedDisk(new Random(random.Next()));
        var run = new Run(random.Next(3, 6));
        var process = new SimProcess("wal", 1);
        var crashed = new TaskCompletionSource();
        var armCrash = random.Next(2) == 0;
        if (armCrash)
        {
            disk.CrashAtOperation(random.Next(1, 60));
        }

        // The process dies between two steps (or in a disk call of the flusher): none of its pending steps run after,
        // so the old log is never used again; the run goes on as a step of the simulation itself.
        void Crash(string cause, bool inDiskCall)
        {
            if (!process.Alive)
            {
                return;
            }

            loop.Kill(process);
            loop.AfterStep = null;
            if (disk.Crashes == 0)
            {
                disk.Crash();
            }

            run.Cause = cause;
            run.CrashedInDiskCall = inDiskCall;
            run.FlushesAtCrash = run.Log?.FlushCount ?? 0;
            run.RecordsAtCrash = run.Log?.RecordCount ?? 0;
            loop.Post(null, () => crashed.TrySetResult());
        }

        var options = new WalOptions
        {
            Directory = WalDirectory,
            FileSystem = disk,
            Durability = DurabilityMode.Fsync,
            SegmentBytes = 4096,
            OnFailure = e => Crash($"in a disk call of the flusher ({e.Message})", inDiskCall: true),
        };

        loop.After(TimeSpan.FromTicks(random.Next(0, 300_000)), null, () => Crash("at a random time", inDiskCall: false));
        loop.AfterStep = () =>
        {
            if (process.Alive && run.Stale(loop.Now) is { } stale)
            {
                throw new ScheduleViolation(stale);
            }
        };
        loop.Post(process, () => _ = LiveAsync(loop, options, run, () => Crash("in a disk call while opening the log", inDiskCall: true)));

        await crashed.Task.ConfigureAwait(false);
        if (run.Errors.Count > 0)
        {
            return $"a writer failed while the machine was up: {run.Errors[0]}";
        }

        var replayed = new List<(int Writer, int Index)>();
        var bad = new List<string>();
        var truncations = 0;
        WriteAheadLog reopened;
        try
        {
            reopened = WriteAheadLog.Open(
                new WalOptions { Directory = WalDirectory, FileSystem = disk, Durability = DurabilityMode.Fsync, SegmentBytes = 4096 },
                fromSegment: 1,
                replay: record =>
                {
                    if (Parse(record.Payload.Span) is { } id)
                    {
                        replayed.Add(id);
                    }
                    else
                    {
                        bad.Add(Encoding.ASCII.GetString(record.Payload.Span));
                    }
                },
                warn: _ => truncations++);
        }
        catch (Exception e)
        {
            return $"reopening after the crash ({run.Cause}) failed: {e}";
        }

        try
        {
            if (bad.Count > 0)
            {
                return $"replayed a record nobody appended: '{bad[0]}'";
            }

            if (Check(run, replayed) is { } violation)
            {
                return $"after a crash {run.Cause} ({run.Issued.Count} appended, {replayed.Count} replayed): {violation}";
            }

            // The reopened log takes appends again.
            await reopened.Append(1, Payload(9, 0, 0)).ConfigureAwait(false);
        }
        finally
        {
            await reopened.DisposeAsync().ConfigureAwait(false);
        }

        totals.Add(run, replayed.Count, truncations);
        return null;
    }

    // The life of the process: opens the log (on the loop, so its flusher runs as steps) and runs the writers.
    private static async Task LiveAsync(SimLoop loop, WalOptions options, Run run, Action openFailed)
    {
        try
        {
            run.Log = WriteAheadLog.Open(options, fromSegment: 1, replay: _ => { });
        }
        catch (IOException)
        {
            openFailed(); // an armed crash struck while creating the first segment
            return;
        }
        catch (Exception e)
        {
            run.Errors.Add($"opening the log: {e}");
            return;
        }

        var writers = Enumerable.Range(0, run.Writers).Select(w => WriteAsync(loop, run, w, loop.Random.Next(5, 21))).ToList();
        await Task.WhenAll(writers).ConfigureAwait(false);
        run.Finished = true;
    }

    private static async Task WriteAsync(SimLoop loop, Run run, int writer, int count)
    {
        var random = loop.Random;
        var log = run.Log!;
        try
        {
            await Task.Delay(TimeSpan.FromTicks(random.Next(0, 5_000)), loop.Clock).ConfigureAwait(false);
            var index = 0;
            while (index < count)
            {
                // Several appends before awaiting any of them: they may share a batch, or span two.
                var pending = new List<Task>();
                var burst = Math.Min(count - index, random.Next(3) == 0 ? random.Next(2, 5) : 1);
                for (var b = 0; b < burst; b++, index++)
                {
                    var append = log.Append(1, Payload(writer, index, random.Next(0, 300)));
                    run.Issue(writer, index, loop.Now);
                    pending.Add(TrackAppendAsync(run, writer, index, append));
                }

                switch (random.Next(8))
                {
                    case 0:
                        pending.Add(TrackFlushAsync(run, log.FlushAsync(), loop.Now));
                        break;
                    case 1:
                        log.Rotate();
                        run.Rotations++;
                        break;
                }

                await Task.WhenAll(pending).ConfigureAwait(false);
                if (random.Next(3) != 0)
                {
                    await Task.Delay(TimeSpan.FromTicks(random.Next(0, 8_000)), loop.Clock).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e)
        {
            // The machine is up (a crash kills the process before any failure reaches a writer): nothing may fail.
            run.Errors.Add($"writer {writer}: {e}");
        }
    }

    private static async Task TrackAppendAsync(Run run, int writer, int index, Task append)
    {
        await append.ConfigureAwait(false);
        run.Acknowledge(writer, index);
    }

    private static async Task TrackFlushAsync(Run run, Task flush, long now)
    {
        var covered = run.Issued.Count; // everything appended so far, by every writer
        var flushId = run.StartFlush(now);
        await flush.ConfigureAwait(false);
        run.FinishFlush(flushId, covered);
    }

    // The replayed records must be a prefix of the append order, and cover everything acknowledged.
    private static string? Check(Run run, List<(int Writer, int Index)> replayed)
    {
        for (var i = 0; i < replayed.Count; i++)
        {
            if (i >= run.Issued.Count || replayed[i] != run.Issued[i].Id)
            {
                var expected = i < run.Issued.Count ? $"w{run.Issued[i].Id.Writer}-{run.Issued[i].Id.Index}" : "the end of the log";
                return $"replayed record {i} is w{replayed[i].Writer}-{replayed[i].Index}, but {expected} was appended there "
                    + $"(replayed: {string.Join(" ", replayed.Take(i + 1).TakeLast(6).Select(r => $"w{r.Writer}-{r.Index}"))})";
            }
        }

        var lost = run.Issued.Skip(replayed.Count).Where(a => a.Acknowledged).ToList();
        if (lost.Count > 0)
        {
            return $"{lost.Count} acknowledged appends lost, the first w{lost[0].Id.Writer}-{lost[0].Id.Index} "
                + $"(acknowledged {(lost[0].ByFlush ? "by a flush" : "by its task")}); the replay stops at {replayed.Count}";
        }

        return null;
    }

    private static byte[] Payload(int writer, int index, int padding) =>
        Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"w{writer}-{index}:{new string('x', padding)}"));

    private static (int Writer, int Index)? Parse(ReadOnlySpan<byte> payload)
    {
        var text = Encoding.ASCII.GetString(payload);
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (text.Length < 4 || text[0] != 'w' || dash < 2 || colon < dash + 2 || text.AsSpan(colon + 1).ContainsAnyExcept('x')
            || !int.TryParse(text.AsSpan(1, dash - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var writer)
            || !int.TryParse(text.AsSpan(dash + 1, colon - dash - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            return null;
        }

        return (writer, index);
    }

    private sealed class Append((int Writer, int Index) id, long issuedAt)
    {
        public (int Writer, int Index) Id { get; } = id;

        public long IssuedAt { get; } = issuedAt;

        public bool Acknowledged { get; set; }

        public bool ByFlush { get; set; }
    }

    // What one run appended and saw acknowledged, in the single order of the simulation's steps.
    private sealed class Run(int writers)
    {
        private readonly Dictionary<(int Writer, int Index), Append> _byId = [];
        private readonly Dictionary<int, long> _flushes = [];
        private int _nextFlush;

        public int Writers { get; } = writers;

        public WriteAheadLog? Log { get; set; }

        /// <summary>Every append made, in the order the calls returned (the log's order: one thread calls it).</summary>
        public List<Append> Issued { get; } = [];

        public List<string> Errors { get; } = [];

        public bool Finished { get; set; }

        public string Cause { get; set; } = "";

        public bool CrashedInDiskCall { get; set; }

        public long FlushesAtCrash { get; set; }

        public long RecordsAtCrash { get; set; }

        public int Rotations { get; set; }

        public int AcknowledgedByTask { get; private set; }

        public void Issue(int writer, int index, long now)
        {
            var append = new Append((writer, index), now);
            Issued.Add(append);
            _byId.Add(append.Id, append);
        }

        public void Acknowledge(int writer, int index)
        {
            var append = _byId[(writer, index)];
            append.Acknowledged = true;
            append.ByFlush = false;
            AcknowledgedByTask++;
        }

        public int StartFlush(long now)
        {
            _flushes.Add(_nextFlush, now);
            return _nextFlush++;
        }

        // A completed flush acknowledges everything appended before it was called.
        public void FinishFlush(int flush, int covered)
        {
            _flushes.Remove(flush);
            for (var i = 0; i < covered; i++)
            {
                if (!Issued[i].Acknowledged)
                {
                    Issued[i].Acknowledged = true;
                    Issued[i].ByFlush = true;
                }
            }
        }

        // An append or flush pending for longer than the device takes: it lost its wake-up.
        public string? Stale(long now)
        {
            foreach (var append in Issued)
            {
                if (!append.Acknowledged && now - append.IssuedAt >= MaxPendingTicks)
                {
                    return $"append w{append.Id.Writer}-{append.Id.Index} made at {append.IssuedAt} still pending at {now}";
                }
            }

            foreach (var (flush, issuedAt) in _flushes)
            {
                if (now - issuedAt >= MaxPendingTicks)
                {
                    return $"flush {flush} called at {issuedAt} still pending at {now}";
                }
            }

            return null;
        }
    }

    private sealed class Totals
    {
        public int Runs { get; private set; }

        public int TimerCrashesMidFlight { get; private set; }

        public int DiskCallCrashes { get; private set; }

        public int CompleteSeeds { get; private set; }

        public long CompleteRecords { get; private set; }

        public long CompleteFlushes { get; private set; }

        public int SeedsWithGroupCommit { get; private set; }

        public double BestRatio { get; private set; }

        public long Appended { get; private set; }

        public long Acknowledged { get; private set; }

        public long Replayed { get; private set; }

        public long ReplayedUnacknowledged { get; private set; }

        public int Truncations { get; private set; }

        public int Rotations { get; private set; }

        public long Flushes { get; private set; }

        public void Add(Run run, int replayed, int truncations)
        {
            Runs++;
            if (run.CrashedInDiskCall)
            {
                DiskCallCrashes++;
            }
            else if (!run.Finished)
            {
                TimerCrashesMidFlight++;
            }

            if (run.Finished)
            {
                // Every append was awaited: all of them were written, by FlushesAtCrash fsyncs.
                CompleteSeeds++;
                CompleteRecords += run.RecordsAtCrash;
                CompleteFlushes += run.FlushesAtCrash;
                if (run.FlushesAtCrash > 0)
                {
                    BestRatio = Math.Max(BestRatio, (double)run.RecordsAtCrash / run.FlushesAtCrash);
                }
            }

            // More appends acknowledged than fsyncs done: some fsync made several appends durable at once.
            if (run.AcknowledgedByTask > run.FlushesAtCrash)
            {
                SeedsWithGroupCommit++;
            }

            var acknowledged = run.Issued.Count(a => a.Acknowledged);
            Appended += run.Issued.Count;
            Acknowledged += acknowledged;
            Replayed += replayed;
            ReplayedUnacknowledged += run.Issued.Take(replayed).Count(a => !a.Acknowledged);
            Truncations += truncations;
            Rotations += run.Rotations;
            Flushes += run.FlushesAtCrash;
        }

        public override string ToString() => string.Create(
            CultureInfo.InvariantCulture,
            $"{Runs} seeds: {TimerCrashesMidFlight} crashed at a random time with appends in flight, {DiskCallCrashes} crashed inside a disk call, "
            + $"{CompleteSeeds} finished every append first. Appends: {Appended} made, {Acknowledged} acknowledged, {Replayed} replayed "
            + $"({ReplayedUnacknowledged} of them unacknowledged), {Flushes} fsyncs of the log (all seeds), {Rotations} explicit rotations, "
            + $"{Truncations} torn tails truncated. Group commit: in {SeedsWithGroupCommit} seeds more appends were acknowledged than fsyncs done; "
            + $"seeds that finished wrote {CompleteRecords} records with {CompleteFlushes} fsyncs = {(double)CompleteRecords / Math.Max(1, CompleteFlushes):F2} appends per fsync "
            + $"(best seed {BestRatio:F2}).");
    }
}
