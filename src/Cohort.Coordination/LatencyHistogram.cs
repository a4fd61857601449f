namespace Cohort.Coordination;

/// <summary>
/// Durations counted into fixed buckets, for <c>/metrics</c> (a Prometheus histogram: cumulative <c>_bucket{le=…}</c>
/// counts, <c>_sum</c> in seconds and <c>_count</c>). A recording and a <see cref="Snapshot"/> each hold a short lock,
/// so every snapshot is one consistent state: its <c>+Inf</c> bucket is its count, and its sum is the sum of exactly
/// the durations it counts.
/// </summary>
public sealed class LatencyHistogram
{
    /// <summary>Upper bounds of the buckets, in seconds (a last, unbounded bucket follows).</summary>
    public static readonly IReadOnlyList<double> Bounds = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

    private readonly Lock _sync = new();
    private readonly long[] _counts = new long[Bounds.Count + 1];
    private long _sumTicks;

    /// <summary>How many durations were recorded.</summary>
    public long Count => Snapshot().Count;

    /// <summary>Their sum.</summary>
    public TimeSpan Sum => Snapshot().Sum;

    /// <summary>Counts <paramref name="elapsed"/>.</summary>
    public void Record(TimeSpan elapsed)
    {
        var seconds = elapsed.TotalSeconds;
        var bucket = 0;
        while (bucket < Bounds.Count && seconds > Bounds[bucket])
        {
            bucket++;
        }

        lock (_sync)
        {
            _counts[bucket]++;
            _sumTicks += elapsed.Ticks;
        }

        Observer?.Invoke(elapsed);
    }

    /// <summary>Also told every duration recorded (a node's OpenTelemetry histogram), or null; set before use.</summary>
    public Action<TimeSpan>? Observer { get; set; }

    /// <summary>The buckets and the sum as they are now, read together.</summary>
    public HistogramSnapshot Snapshot()
    {
        var counts = new long[_counts.Length];
        long sumTicks;
        lock (_sync)
        {
            _counts.CopyTo(counts, 0);
            sumTicks = _sumTicks;
        }

        var buckets = new (double UpperBound, long Count)[counts.Length];
        long running = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            running += counts[i];
            buckets[i] = (i < Bounds.Count ? Bounds[i] : double.PositiveInfinity, running);
        }

        return new HistogramSnapshot(buckets, TimeSpan.FromTicks(sumTicks));
    }

    /// <summary>The cumulative count of durations at most each bound, then of all (<see cref="double.PositiveInfinity"/>).</summary>
    public IReadOnlyList<(double UpperBound, long Count)> Cumulative() => Snapshot().Buckets;

    /// <summary>Appends one snapshot of the histogram in the Prometheus text format under <paramref name="name"/>.</summary>
    public void WritePrometheus(ICollection<string> lines, string name, string help) => Snapshot().WritePrometheus(lines, name, help);
}
