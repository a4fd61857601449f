using Cohort.Coordination;

namespace Cohort.Tests.Coordination;

public sealed class LatencyHistogramTests
{
    [Fact]
    public void Record_CountsIntoTheFirstBucketNotBelowTheDuration_CumulativeUpToInfinity()
    {
        var histogram = new LatencyHistogram();
        histogram.Record(TimeSpan.FromMilliseconds(0.2));   // ≤ 0.5 ms
        histogram.Record(TimeSpan.FromMilliseconds(1));     // exactly on the 1 ms bound
        histogram.Record(TimeSpan.FromMilliseconds(30));    // ≤ 50 ms
        histogram.Record(TimeSpan.FromSeconds(9));          // past the last bound

        var buckets = histogram.Cumulative().ToDictionary(b => b.UpperBound, b => b.Count);
        Assert.Equal(1, buckets[0.0005]);
        Assert.Equal(2, buckets[0.001]);
        Assert.Equal(2, buckets[0.025]);
        Assert.Equal(3, buckets[0.05]);
        Assert.Equal(3, buckets[5]);
        Assert.Equal(4, buckets[double.PositiveInfinity]);
        Assert.Equal(4, histogram.Count);
        Assert.Equal(TimeSpan.FromMilliseconds(9031.2), histogram.Sum);
    }

    [Fact]
    public void WritePrometheus_WritesBucketsSumAndCountInTheTextFormat()
    {
        var histogram = new LatencyHistogram();
        histogram.Record(TimeSpan.FromMilliseconds(3));
        var lines = new List<string>();
        histogram.WritePrometheus(lines, "cohort_test_seconds", "A test.");

        Assert.Equal("# HELP cohort_test_seconds A test.", lines[0]);
        Assert.Equal("# TYPE cohort_test_seconds histogram", lines[1]);
        Assert.Contains("cohort_test_seconds_bucket{le=\"0.002\"} 0", lines);
        Assert.Contains("cohort_test_seconds_bucket{le=\"0.005\"} 1", lines);
        Assert.Contains("cohort_test_seconds_bucket{le=\"+Inf\"} 1", lines);
        Assert.Equal("cohort_test_seconds_sum 0.003", lines[^2]);
        Assert.Equal("cohort_test_seconds_count 1", lines[^1]);
    }

    [Fact]
    public void Snapshot_WhileOtherThreadsRecord_IsConsistentInEveryScrape()
    {
        // Four threads record 1 ms each, in bounded loops, for as long as this one scrapes: every scrape must be one
        // state, so its +Inf bucket equals its _count, its buckets never decrease, and its sum is exactly its count in ms.
        const int Writers = 4;
        const int Scrapes = 3_000;
        const int MostPerWriter = 20_000_000;
        var histogram = new LatencyHistogram();
        var scraping = 1;
        var recorded = new long[Writers];
        using var start = new Barrier(Writers + 1);
        var writers = Enumerable.Range(0, Writers).Select(w => new Thread(() =>
        {
            start.SignalAndWait();
            var i = 0;
            for (; i < MostPerWriter && Volatile.Read(ref scraping) == 1; i++)
            {
                histogram.Record(TimeSpan.FromMilliseconds(1));
            }

            recorded[w] = i;
        })).ToList();
        writers.ForEach(w => w.Start());
        start.SignalAndWait();

        long last = -1;
        var moved = 0;
        for (var scrape = 0; scrape < Scrapes; scrape++)
        {
            var lines = new List<string>();
            histogram.WritePrometheus(lines, "cohort_test_seconds", "A test.");
            var families = PrometheusText.Validate(string.Join('\n', lines) + "\n");
            var count = (long)PrometheusText.Value(families, "cohort_test_seconds_count")!.Value;
            Assert.Equal(count, (long)PrometheusText.Value(families, "cohort_test_seconds_bucket", ("le", "+Inf"))!.Value);
            Assert.Equal(count, (long)PrometheusText.Value(families, "cohort_test_seconds_bucket", ("le", "0.001"))!.Value);
            Assert.Equal(count, (long)Math.Round(PrometheusText.Value(families, "cohort_test_seconds_sum")!.Value * 1000));
            Assert.True(count >= last, $"count went back from {last} to {count}");
            moved += count > last ? 1 : 0;
            last = count;
        }

        Volatile.Write(ref scraping, 0);
        writers.ForEach(w => w.Join());
        Assert.Equal(recorded.Sum(), histogram.Snapshot().Count);
        Assert.True(moved >= 10, $"only {moved} of {Scrapes} scrapes saw the writers move");
    }
}
