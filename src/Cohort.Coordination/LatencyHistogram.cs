using System.Globalization;

namespace Cohort.Coordination;

/// <summary>
/// Durations counted into fixed buckets without locks, for <c>/metrics</c> (a Prometheus histogram: cumulative
/// <c>_bucket{le=…}</c> counts, <c>_sum</c> in seconds and <c>_count</c>).
/// </summary>
public sealed class LatencyHistogram
{
    /// <summary>Upper bounds of the buckets, in seconds (a last, unbounded bucket follows).</summary>
    public static readonly IReadOnlyList<double> Bounds = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

    private readonly long[] _counts = new long[Bounds.Count + 1];
    private long _count;
    private long _sumTicks;

    /// <summary>How many durations were recorded.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Their sum.</summary>
    public TimeSpan Sum => TimeSpan.FromTicks(Interlocked.Read(ref _sumTicks));

    /// <summary>Counts <paramref name="elapsed"/>.</summary>
    public void Record(TimeSpan elapsed)
    {
        var seconds = elapsed.TotalSeconds;
        var bucket = 0;
        while (bucket < Bounds.Count && seconds > Bounds[bucket])
        {
            bucket++;
        }

        Interlocked.Increment(ref _counts[bucket]);
        Interlocked.Add(ref _sumTicks, elapsed.Ticks);
        Interlocked.Increment(ref _count);
    }

    /// <summary>The cumulative count of durations at most each bound, then of all (<see cref="double.PositiveInfinity"/>).</summary>
    public IReadOnlyList<(double UpperBound, long Count)> Cumulative()
    {
        var result = new List<(double, long)>(Bounds.Count + 1);
        long running = 0;
        for (var i = 0; i <= Bounds.Count; i++)
        {
            running += Interlocked.Read(ref _counts[i]);
            result.Add((i < Bounds.Count ? Bounds[i] : double.PositiveInfinity, running));
        }

        return result;
    }

    /// <summary>Appends the histogram in the Prometheus text format under <paramref name="name"/>.</summary>
    public void WritePrometheus(ICollection<string> lines, string name, string help)
    {
        ArgumentNullException.ThrowIfNull(lines);
        lines.Add($"# HELP {name} {help}");
        lines.Add($"# TYPE {name} histogram");
        foreach (var (bound, count) in Cumulative())
        {
            var le = double.IsPositiveInfinity(bound) ? "+Inf" : bound.ToString(CultureInfo.InvariantCulture);
            lines.Add($"{name}_bucket{{le=\"{le}\"}} {count.ToString(CultureInfo.InvariantCulture)}");
        }

        lines.Add($"{name}_sum {Sum.TotalSeconds.ToString("0.######", CultureInfo.InvariantCulture)}");
        lines.Add($"{name}_count {Count.ToString(CultureInfo.InvariantCulture)}");
    }
}
