using Cohort.Coordination;
using Cohort.Server.Services;
using Cohort.Tests.TestSupport;

namespace Cohort.Tests.Server;

/// <summary>Issue 22, the dashboard's samples: the math between two readings, percentiles from histogram deltas, the ring, and adding nodes up.</summary>
public sealed class StatsSamplerTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Between_TwoReadings_GivesRatesAbortRateAndAbortsByReason()
    {
        var before = Reading(Start, committed: 100, aborted: [("conflict", 5), ("expired", 1)], latencies: [0.003, 0.003]);
        var after = Reading(Start.AddSeconds(2), committed: 140, aborted: [("conflict", 15), ("expired", 1)], latencies: [0.003, 0.003, 0.004, 0.02], inDoubt: 2, active: 7);

        var sample = StatsSample.Between(before, after);

        Assert.Equal(2, sample.Seconds, 6);
        Assert.Equal(40, sample.Committed);
        Assert.Equal(20, sample.CommittedPerSecond, 6);
        Assert.Equal(5, sample.AbortedPerSecond, 6);
        Assert.Equal(new Dictionary<string, long> { ["conflict"] = 10 }, sample.Aborted);
        Assert.Equal(10.0 / 50, sample.AbortRate!.Value, 6);
        Assert.Equal(2, sample.InDoubt);
        Assert.Equal(7, sample.Active);
        Assert.Equal(2, sample.LatencyBuckets.Sum());
    }

    [Fact]
    public void Between_NothingEnded_HasNoAbortRateAndNoPercentiles()
    {
        var reading = Reading(Start, committed: 3, aborted: [], latencies: [0.001]);

        var sample = StatsSample.Between(reading, reading with { At = Start.AddSeconds(2) });

        Assert.Null(sample.AbortRate);
        Assert.Null(StatsSample.Percentile(sample.LatencyBuckets, 0.5));
        Assert.Equal(0, sample.CommittedPerSecond);
    }

    [Fact]
    public void BucketDeltas_OfCumulativeSnapshots_ArePlainCountsPerBucket()
    {
        var before = Histogram(0.0004, 0.003);
        var after = Histogram(0.0004, 0.003, 0.0004, 0.03, 10);

        var deltas = StatsSample.BucketDeltas(before, after);

        Assert.Equal(LatencyHistogram.Bounds.Count + 1, deltas.Length);
        Assert.Equal(1, deltas[0]);                                          // ≤ 0.5 ms
        Assert.Equal(1, deltas[LatencyHistogram.Bounds.ToList().IndexOf(0.05)]); // 25–50 ms
        Assert.Equal(1, deltas[^1]);                                         // over the last bound
        Assert.Equal(3, deltas.Sum());
    }

    [Fact]
    public void Percentile_InterpolatesInsideTheBucket_AsHistogramQuantileDoes()
    {
        // 100 commits between 5 and 10 ms: the median half-way through that bucket, p99 near its top.
        var buckets = new long[LatencyHistogram.Bounds.Count + 1];
        buckets[LatencyHistogram.Bounds.ToList().IndexOf(0.01)] = 100;

        Assert.Equal(7.5, StatsSample.Percentile(buckets, 0.5)!.Value, 6);
        Assert.Equal(9.95, StatsSample.Percentile(buckets, 0.99)!.Value, 6);

        // Beyond the last bound, the largest bound (nothing better is known).
        var slow = new long[LatencyHistogram.Bounds.Count + 1];
        slow[^1] = 1;
        Assert.Equal(LatencyHistogram.Bounds[^1] * 1000, StatsSample.Percentile(slow, 0.99)!.Value, 6);
    }

    [Fact]
    public void Sampler_KeepsTheLastCapacitySamples_OldestFirst_AndSinceFilters()
    {
        var time = new FakeTimeProvider(Start);
        long committed = 0;
        var sampler = new StatsSampler(at => Reading(at, committed, [], []), time, TimeSpan.FromSeconds(2), capacity: 3);

        Assert.Null(sampler.SampleNow());
        for (var i = 1; i <= 5; i++)
        {
            time.Advance(TimeSpan.FromSeconds(2));
            committed += i;
            Assert.NotNull(sampler.SampleNow());
        }

        var samples = sampler.Samples();
        Assert.Equal([3L, 4L, 5L], samples.Select(s => s.Committed));
        Assert.Equal([Start.AddSeconds(6), Start.AddSeconds(8), Start.AddSeconds(10)], samples.Select(s => s.At));
        Assert.Equal([5L], sampler.Samples(since: Start.AddSeconds(8)).Select(s => s.Committed));
    }

    [Fact]
    public void Combine_SamplesOfSeveralNodes_AddUpPerInterval()
    {
        var interval = TimeSpan.FromSeconds(2);
        var master = new[] { Sample(Start.AddSeconds(2.1), committed: 100, inDoubt: 1), Sample(Start.AddSeconds(4.1), committed: 60, inDoubt: 0) };
        var other = new[] { Sample(Start.AddSeconds(2.9), committed: 4, inDoubt: 2, conflicts: 2) };

        var combined = StatsSampler.Combine([master, other], interval);

        Assert.Equal(2, combined.Length);
        Assert.Equal(Start.AddSeconds(4), combined[0].At);
        Assert.Equal(104, combined[0].Committed);
        Assert.Equal(3, combined[0].InDoubt);
        Assert.Equal(2, combined[0].Aborted["conflict"]);
        Assert.Equal(2.0 / 106, combined[0].AbortRate!.Value, 6);
        Assert.Equal(60, combined[1].Committed);
        Assert.Equal(30, combined[1].CommittedPerSecond, 6);
    }

    [Fact]
    public void ToValue_ThenFromValue_KeepsTheCounts()
    {
        var sample = Sample(Start.AddSeconds(2), committed: 7, inDoubt: 1, conflicts: 3);

        var back = StatsSample.FromValue(sample.ToValue());

        Assert.Equal(sample.At, back.At);
        Assert.Equal(sample.Committed, back.Committed);
        Assert.Equal(sample.Aborted, back.Aborted);
        Assert.Equal(sample.LatencyBuckets.ToArray(), back.LatencyBuckets.ToArray());
        Assert.Equal(sample.InDoubt, back.InDoubt);
        Assert.Equal(sample.Seconds, back.Seconds, 3);
    }

    private static StatsSample Sample(DateTimeOffset at, long committed, int inDoubt, long conflicts = 0)
    {
        var buckets = new long[LatencyHistogram.Bounds.Count + 1];
        buckets[3] = committed;
        return new StatsSample(
            at,
            2,
            committed,
            conflicts > 0 ? System.Collections.Immutable.ImmutableSortedDictionary<string, long>.Empty.Add("conflict", conflicts) : System.Collections.Immutable.ImmutableSortedDictionary<string, long>.Empty,
            [.. buckets],
            inDoubt,
            0);
    }

    private static StatsReading Reading(DateTimeOffset at, long committed, (string, long)[] aborted, double[] latencies, int inDoubt = 0, int active = 0) =>
        new(at, committed, aborted, Histogram(latencies), inDoubt, active);

    private static HistogramSnapshot Histogram(params double[] seconds)
    {
        var histogram = new LatencyHistogram();
        foreach (var s in seconds)
        {
            histogram.Record(TimeSpan.FromSeconds(s));
        }

        return histogram.Snapshot();
    }
}
