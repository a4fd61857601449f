using System.Globalization;

namespace Cohort.Coordination;

/// <summary>One consistent reading of a <see cref="LatencyHistogram"/>.</summary>
/// <param name="Buckets">The cumulative count of durations at most each bound, the last bound <see cref="double.PositiveInfinity"/>.</param>
/// <param name="Sum">The sum of the durations counted.</param>
public sealed record HistogramSnapshot(IReadOnlyList<(double UpperBound, long Count)> Buckets, TimeSpan Sum)
{
    /// <summary>How many durations were counted: the <c>+Inf</c> bucket.</summary>
    public long Count => Buckets.Count == 0 ? 0 : Buckets[^1].Count;

    /// <summary>Appends the snapshot in the Prometheus text format under <paramref name="name"/>: HELP, TYPE, the buckets, <c>_sum</c> and <c>_count</c>.</summary>
    public void WritePrometheus(ICollection<string> lines, string name, string help)
    {
        ArgumentNullException.ThrowIfNull(lines);
        lines.Add($"# HELP {name} {help}");
        lines.Add($"# TYPE {name} histogram");
        foreach (var (bound, count) in Buckets)
        {
            var le = double.IsPositiveInfinity(bound) ? "+Inf" : bound.ToString(CultureInfo.InvariantCulture);
            lines.Add($"{name}_bucket{{le=\"{le}\"}} {count.ToString(CultureInfo.InvariantCulture)}");
        }

        lines.Add($"{name}_sum {Sum.TotalSeconds.ToString("0.#######", CultureInfo.InvariantCulture)}");
        lines.Add($"{name}_count {Count.ToString(CultureInfo.InvariantCulture)}");
    }
}
