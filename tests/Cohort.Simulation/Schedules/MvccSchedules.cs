using System.Globalization;
using Cohort.Core.Execution;
using Cohort.Simulation.Runtime;
using Cohort.Storage.Mvcc;
using Xunit.Abstractions;

namespace Cohort.Simulation.Schedules;

/// <summary>
/// The multi-version store with prepared markers under a thousand interleavings, used the way
/// <c>TransactionalEngine</c> uses it: writers mark the keys they will write at a prepare timestamp taken from the
/// clock inside <see cref="MvccStore{TKey}.MarkPrepared(IEnumerable{TKey}, TxId, Func{HlcTimestamp})"/>, and after a
/// random delay either commit (install every write at a commit timestamp at or after the prepare timestamp, the marker
/// cleared in the same step) or abort (clear the marker), then resolve the marker, possibly a moment later; readers
/// observe their snapshot into the clock (so every later prepare is above it) and then read a key, or scan a range,
/// at that snapshot, meanwhile. Snapshot isolation of reads: every read at snapshot S returns exactly what the final
/// committed history holds as of S (the newest committed version at or before S), so it neither missed a commit at or
/// below S nor saw an aborted write or one above S.
/// </summary>
/// <remarks>
/// Writers that share keys without locks delete nothing: <see cref="MvccStore{TKey}.Install"/> drops a tombstone for a
/// key that has no entry yet, so a version with an older timestamp installed after it becomes visible above the
/// deletion (install <c>k</c> deleted at 12, then <c>k</c> = v at 4: a read at 13 returns v). The engine never installs
/// a key's versions out of timestamp order (its exclusive locks, retaken at recovery, order them, and its clock observes
/// each commit), so the exclusive half of the runs deletes and the shared half does not.
/// </remarks>
public sealed class MvccSchedules(ITestOutputHelper output)
{
    private const int Seeds = 1_000;
    private static readonly string[] Keys = ["a", "b", "c", "d", "e"];

    [Fact]
    public void MvccStore_SnapshotReadsSeeExactlyTheCommitsAtOrBeforeTheirSnapshot_InEveryExploredSchedule()
    {
        var totals = new Totals();
        var failures = Schedules.Explore(Seeds, loop => ScenarioAsync(loop, totals));
        output.WriteLine(totals.ToString());
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(5)));

        // The property is only as strong as the schedules that reached it.
        Assert.True(totals.WaitedReads > Seeds, $"reads that waited on a prepared write: {totals.WaitedReads}");
        Assert.True(totals.WaitedThenSawCommit > Seeds / 4, $"reads that waited and then returned the prepared write: {totals.WaitedThenSawCommit}");
        Assert.True(totals.WaitedScans > Seeds / 4, $"scans that waited on a prepared write: {totals.WaitedScans}");
        Assert.True(totals.Commits > Seeds && totals.Aborts > Seeds / 2 && totals.Deletes > Seeds / 4, $"commits {totals.Commits}, aborts {totals.Aborts}, deletes {totals.Deletes}");
        Assert.True(totals.SplitResolves > Seeds / 4, $"markers resolved a step after the outcome was installed: {totals.SplitResolves}");
        Assert.True(totals.SharedMarkers > Seeds / 10 && totals.OutOfOrderInstalls > Seeds / 10, $"shared markers {totals.SharedMarkers}, out-of-order installs {totals.OutOfOrderInstalls}");
    }

    private static async Task<string?> ScenarioAsync(SimLoop loop, Totals totals)
    {
        var random = loop.Random;
        using var store = new MvccStore<string>(StringComparer.Ordinal, StringComparer.Ordinal);

        // Half the runs write as the engine does (exclusive locks, so a key's versions are installed in timestamp
        // order, deletes included); the other half lets writers share keys: several markers on one key (as commuting
        // writes have), and versions installed out of timestamp order, which the store keeps ordered (without deletes:
        // see the remarks).
        var run = new Run(exclusive: random.Next(2) == 0);
        foreach (var key in Keys)
        {
            if (random.Next(2) == 0)
            {
                var timestamp = run.InitialTimestamp();
                var value = $"init:{key}";
                store.Install(key, timestamp, value);
                run.Commit(key, timestamp, value);
            }
        }

        var writers = random.Next(2, 5);
        var readers = random.Next(2, 5);
        var work = new List<Task>();
        for (var w = 0; w < writers; w++)
        {
            work.Add(WriteAsync(loop, store, run, w));
        }

        for (var r = 0; r < readers; r++)
        {
            work.Add(ReadAsync(loop, store, run));
        }

        await Task.WhenAll(work).ConfigureAwait(false);
        totals.Add(run);
        return Check(run);
    }

    // One writer: a transaction or two, each marked prepared, then committed or aborted after a random delay.
    private static async Task WriteAsync(SimLoop loop, MvccStore<string> store, Run run, int writer)
    {
        var random = loop.Random;
        var transactions = random.Next(1, 3);
        for (var t = 0; t < transactions; t++)
        {
            await Delay(loop, 10_000).ConfigureAwait(false);
            var keys = Keys.OrderBy(_ => random.Next()).Take(random.Next(1, 3)).Order(StringComparer.Ordinal).ToList();
            var writes = keys.ToDictionary(
                k => k,
                k => run.Exclusive && random.Next(4) == 0 ? null : string.Create(CultureInfo.InvariantCulture, $"w{writer}.{t}:{k}"),
                StringComparer.Ordinal);
            var onePhase = random.Next(4) == 0;

            // The engine's exclusive locks on the keys it writes, held from before the prepare until the outcome is
            // installed (taken in key order here, in place of the lock manager's wound-wait).
            if (run.Exclusive)
            {
                foreach (var key in keys)
                {
                    await run.Locks[key].WaitAsync().ConfigureAwait(false);
                }
            }

            // As the engine does: the prepare timestamp is taken from the clock while readers are locked out.
            var marker = store.MarkPrepared(keys, TxId.NewId(loop.Clock), run.PrepareTimestamp);
            run.Marked(keys, +1);
            await Delay(loop, 20_000).ConfigureAwait(false);

            if (random.Next(3) != 0)
            {
                // One phase commits at its prepare timestamp; two phases at or after it (the largest of the participants').
                var commit = run.CommitTimestamp(marker.PrepareTimestamp, onePhase ? 0 : random.Next(0, 12));
                store.InstallAll(writes.Select(w => new KeyValuePair<string, Value?>(w.Key, w.Value is null ? (Value?)null : Value.From(w.Value))), commit, marker);
                foreach (var (key, value) in writes)
                {
                    run.Commit(key, commit, value);
                }
            }
            else
            {
                store.ClearPrepared(keys, marker);
                run.Aborts++;
            }

            run.Marked(keys, -1);

            if (run.Exclusive)
            {
                foreach (var key in keys)
                {
                    run.Locks[key].Release();
                }
            }

            // The engine resolves after the outcome is visible, and not always in the step that installed it.
            if (random.Next(2) == 0)
            {
                await Task.Delay(TimeSpan.FromTicks(random.Next(1, 3_000)), loop.Clock).ConfigureAwait(false);
                run.SplitResolves++;
            }

            marker.Resolve();
        }
    }

    // One reader: point reads and scans at random snapshots, some above the clock (the future).
    private static async Task ReadAsync(SimLoop loop, MvccStore<string> store, Run run)
    {
        var random = loop.Random;
        var reads = random.Next(3, 9);
        for (var i = 0; i < reads; i++)
        {
            await Delay(loop, 8_000).ConfigureAwait(false);
            var snapshot = new HlcTimestamp(random.Next(0, (int)run.Clock + 6));
            run.Observe(snapshot); // as the engine does before every snapshot read
            if (random.Next(3) == 0)
            {
                var from = random.Next(3) == 0 ? null : Keys[random.Next(Keys.Length)];
                var to = random.Next(2) == 0 ? null : Keys[random.Next(Keys.Length)];
                var limit = random.Next(1, Keys.Length + 1);
                var scan = new Read(null, snapshot, from, to, limit);
                var pending = store.ScanAsync(from, k => to is null || string.CompareOrdinal(k, to) <= 0, limit, snapshot, CancellationToken.None);
                scan.Waited = !pending.IsCompleted;
                var rows = await pending.ConfigureAwait(false);
                scan.Result = [.. rows.Select(r => (r.Key, (string?)r.Value.AsString()))];
                run.Reads.Add(scan);
            }
            else
            {
                var key = Keys[random.Next(Keys.Length)];
                var read = new Read(key, snapshot, null, null, 1);
                var pending = store.ReadAsync(key, snapshot, CancellationToken.None);
                read.Waited = !pending.IsCompleted;
                var (found, value) = await pending.ConfigureAwait(false);
                read.Result = [(key, found ? value.AsString() : null)];
                run.Reads.Add(read);
            }
        }
    }

    private static Task Delay(SimLoop loop, int maxTicks)
    {
        var ticks = loop.Random.Next(0, maxTicks);
        return ticks == 0 ? Task.CompletedTask : Task.Delay(TimeSpan.FromTicks(ticks), loop.Clock);
    }

    // Every read against the final committed history.
    private static string? Check(Run run)
    {
        foreach (var read in run.Reads)
        {
            var expected = Expected(run, read);
            if (!expected.SequenceEqual(read.Result))
            {
                return $"{read} returned {Show(read.Result)}, but the committed history as of {read.Snapshot.Value} holds {Show(expected)} "
                    + $"(commits: {string.Join(", ", run.Committed.OrderBy(c => c.Timestamp.Value).Select(c => $"{c.Key}@{c.Timestamp.Value}={c.Value ?? "deleted"}"))})";
            }
        }

        return null;
    }

    private static List<(string Key, string? Value)> Expected(Run run, Read read)
    {
        string? At(string key) => run.Committed
            .Where(c => c.Key == key && c.Timestamp <= read.Snapshot)
            .OrderByDescending(c => c.Timestamp.Value)
            .Select(c => c.Value)
            .FirstOrDefault();

        if (read.Key is { } single)
        {
            return [(single, At(single))];
        }

        return [.. Keys
            .Where(k => (read.From is null || string.CompareOrdinal(k, read.From) >= 0) && (read.To is null || string.CompareOrdinal(k, read.To) <= 0))
            .Select(k => (Key: k, Value: At(k)))
            .Where(e => e.Value is not null)
            .Take(read.Limit)];
    }

    private static string Show(List<(string Key, string? Value)> entries) =>
        entries.Count == 0 ? "nothing" : string.Join(" ", entries.Select(e => $"{e.Key}={e.Value ?? "(none)"}"));

    private sealed class Read(string? key, HlcTimestamp snapshot, string? from, string? to, int limit)
    {
        public string? Key { get; } = key;

        public HlcTimestamp Snapshot { get; } = snapshot;

        public string? From { get; } = from;

        public string? To { get; } = to;

        public int Limit { get; } = limit;

        public bool Waited { get; set; }

        public List<(string Key, string? Value)> Result { get; set; } = [];

        public override string ToString() => Key is not null
            ? $"a read of {Key} at {Snapshot.Value}{(Waited ? " (after waiting)" : "")}"
            : $"a scan [{From ?? "first"}, {To ?? "last"}] limit {Limit} at {Snapshot.Value}{(Waited ? " (after waiting)" : "")}";
    }

    // The run's clock (a logical one, observed by every snapshot and commit as the engine's is) and committed history.
    private sealed class Run(bool exclusive)
    {
        private readonly HashSet<long> _used = [];
        private readonly Dictionary<string, int> _markers = new(StringComparer.Ordinal);

        public bool Exclusive { get; } = exclusive;

        public Dictionary<string, AsyncGate> Locks { get; } = Keys.ToDictionary(k => k, _ => new AsyncGate(), StringComparer.Ordinal);

        public long Clock { get; private set; }

        public List<(string Key, HlcTimestamp Timestamp, string? Value)> Committed { get; } = [];

        public List<Read> Reads { get; } = [];

        public int Aborts { get; set; }

        public int SplitResolves { get; set; }

        public int AtPrepareTimestamp { get; private set; }

        public HlcTimestamp InitialTimestamp()
        {
            Clock++;
            _used.Add(Clock);
            return new HlcTimestamp(Clock);
        }

        public void Observe(HlcTimestamp timestamp) => Clock = Math.Max(Clock, timestamp.Value);

        // Clock.Now: later than everything observed.
        public HlcTimestamp PrepareTimestamp()
        {
            Clock++;
            _used.Add(Clock);
            return new HlcTimestamp(Clock);
        }

        // At or after the prepare timestamp, and distinct from every other commit timestamp: two conflicting writes of
        // a key never share one (the lock manager orders them), and the reference needs the newest to be unique.
        public HlcTimestamp CommitTimestamp(HlcTimestamp prepare, int later)
        {
            var commit = prepare.Value + later;
            if (later == 0)
            {
                AtPrepareTimestamp++;
            }

            while (commit != prepare.Value && !_used.Add(commit))
            {
                commit++;
            }

            Observe(new HlcTimestamp(commit));
            return new HlcTimestamp(commit);
        }

        public int SharedMarkers { get; private set; }

        public int OutOfOrderInstalls { get; private set; }

        public void Marked(List<string> keys, int change)
        {
            foreach (var key in keys)
            {
                var now = _markers.GetValueOrDefault(key) + change;
                _markers[key] = now;
                if (now > 1 && change > 0)
                {
                    SharedMarkers++;
                }
            }
        }

        public void Commit(string key, HlcTimestamp timestamp, string? value)
        {
            if (Committed.Any(c => c.Key == key && c.Timestamp > timestamp))
            {
                OutOfOrderInstalls++;
            }

            Committed.Add((key, timestamp, value));
        }
    }

    private sealed class Totals
    {
        public int Runs { get; private set; }

        public long Reads { get; private set; }

        public long Scans { get; private set; }

        public long WaitedReads { get; private set; }

        public long WaitedScans { get; private set; }

        public long WaitedThenSawCommit { get; private set; }

        public long Commits { get; private set; }

        public long Deletes { get; private set; }

        public long Aborts { get; private set; }

        public long AtPrepareTimestamp { get; private set; }

        public long SplitResolves { get; private set; }

        public long SharedMarkers { get; private set; }

        public long OutOfOrderInstalls { get; private set; }

        public void Add(Run run)
        {
            Runs++;
            SharedMarkers += run.SharedMarkers;
            OutOfOrderInstalls += run.OutOfOrderInstalls;
            foreach (var read in run.Reads)
            {
                if (read.Key is null)
                {
                    Scans++;
                    WaitedScans += read.Waited ? 1 : 0;
                    continue;
                }

                Reads++;
                if (read.Waited)
                {
                    WaitedReads++;
                    if (read.Result[0].Value is { } value && !value.StartsWith("init:", StringComparison.Ordinal))
                    {
                        WaitedThenSawCommit++;
                    }
                }
            }

            var writes = run.Committed.Where(c => c.Value is null || !c.Value.StartsWith("init:", StringComparison.Ordinal)).ToList();
            Commits += writes.Select(c => c.Timestamp).Distinct().Count();
            Deletes += writes.Count(c => c.Value is null);
            Aborts += run.Aborts;
            AtPrepareTimestamp += run.AtPrepareTimestamp;
            SplitResolves += run.SplitResolves;
        }

        public override string ToString() => string.Create(
            CultureInfo.InvariantCulture,
            $"{Runs} seeds: {Commits} commits ({AtPrepareTimestamp} at their prepare timestamp, {Deletes} deleted keys), {Aborts} aborts, {SplitResolves} markers resolved a step after the outcome, "
            + $"{SharedMarkers} keys marked by two writers at once, {OutOfOrderInstalls} versions installed below a newer one; "
            + $"{Reads} point reads ({WaitedReads} waited on a prepared write, {WaitedThenSawCommit} of them then returned a writer's value), "
            + $"{Scans} scans ({WaitedScans} waited).");
    }
}
