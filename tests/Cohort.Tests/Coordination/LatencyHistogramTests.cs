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
}
