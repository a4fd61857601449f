using System.Collections.Immutable;
using Cohort.Coordination;
using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Server.Services;

/// <summary>
/// What one node's coordinator did between two readings (<c>GET /v1/stats/samples</c>): counts over the interval, from
/// which the rates, the abort rate and the latency percentiles follow; several nodes' samples of one interval add up
/// (<see cref="Merge"/>).
/// </summary>
/// <param name="At">The end of the interval, by the sampling node's clock.</param>
/// <param name="Seconds">The interval's length.</param>
/// <param name="Committed">Transactions committed in it.</param>
/// <param name="Aborted">Transactions aborted in it, by reason (reasons with none left out).</param>
/// <param name="LatencyBuckets">Commits in it per bucket of <see cref="LatencyHistogram.Bounds"/> (not cumulative; the last bucket is unbounded).</param>
/// <param name="InDoubt">Transactions in doubt at its end.</param>
/// <param name="Active">Transactions active or being committed at its end.</param>
internal sealed record StatsSample(
    DateTimeOffset At,
    double Seconds,
    long Committed,
    ImmutableSortedDictionary<string, long> Aborted,
    ImmutableArray<long> LatencyBuckets,
    int InDoubt,
    int Active)
{
    /// <summary>Transactions aborted in the interval, whatever the reason.</summary>
    public long AbortedTotal => Aborted.Values.Sum();

    /// <summary>Commits per second.</summary>
    public double CommittedPerSecond => Seconds > 0 ? Committed / Seconds : 0;

    /// <summary>Aborts per second.</summary>
    public double AbortedPerSecond => Seconds > 0 ? AbortedTotal / Seconds : 0;

    /// <summary>Of the transactions that ended in the interval, the share aborted; null when none ended.</summary>
    public double? AbortRate => Committed + AbortedTotal is > 0 and var ended ? (double)AbortedTotal / ended : null;

    /// <summary>The samples' change between <paramref name="before"/> and <paramref name="after"/>.</summary>
    public static StatsSample Between(StatsReading before, StatsReading after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var previous = before.Aborted.ToDictionary(a => a.Reason, a => a.Count, StringComparer.Ordinal);
        var aborted = ImmutableSortedDictionary.CreateBuilder<string, long>(StringComparer.Ordinal);
        foreach (var (reason, count) in after.Aborted)
        {
            // Counters only grow; a smaller one (never, short of a bug) counts as none rather than as a negative rate.
            if (count - previous.GetValueOrDefault(reason) is > 0 and var delta)
            {
                aborted[reason] = delta;
            }
        }

        return new StatsSample(
            after.At,
            Math.Max(0, (after.At - before.At).TotalSeconds),
            Math.Max(0, after.Committed - before.Committed),
            aborted.ToImmutable(),
            BucketDeltas(before.CommitLatency, after.CommitLatency),
            after.InDoubt,
            after.Active);
    }

    /// <summary>Per-bucket counts recorded between two snapshots of one histogram (cumulative buckets in, plain counts out).</summary>
    public static ImmutableArray<long> BucketDeltas(HistogramSnapshot before, HistogramSnapshot after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var deltas = new long[after.Buckets.Count];
        long previousAfter = 0;
        long previousBefore = 0;
        for (var i = 0; i < deltas.Length; i++)
        {
            var a = after.Buckets[i].Count;
            var b = i < before.Buckets.Count ? before.Buckets[i].Count : 0;
            deltas[i] = Math.Max(0, (a - previousAfter) - (b - previousBefore));
            previousAfter = a;
            previousBefore = b;
        }

        return [.. deltas];
    }

    /// <summary>
    /// The <paramref name="quantile"/> (0 to 1) of the durations counted in <paramref name="buckets"/>, in milliseconds,
    /// interpolated linearly inside its bucket as Prometheus' <c>histogram_quantile</c> does (a quantile in the unbounded
    /// last bucket is the largest bound); null when nothing was counted.
    /// </summary>
    public static double? Percentile(IReadOnlyList<long> buckets, double quantile)
    {
        ArgumentNullException.ThrowIfNull(buckets);
        ArgumentOutOfRangeException.ThrowIfLessThan(quantile, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quantile, 1);
        var total = buckets.Sum();
        if (total == 0)
        {
            return null;
        }

        var rank = quantile * total;
        var bounds = LatencyHistogram.Bounds;
        long below = 0;
        for (var i = 0; i < buckets.Count; i++)
        {
            var count = buckets[i];
            if (count > 0 && below + count >= rank)
            {
                if (i >= bounds.Count)
                {
                    return bounds[^1] * 1000;
                }

                var lower = i == 0 ? 0 : bounds[i - 1];
                var upper = bounds[i];
                return (lower + ((upper - lower) * Math.Max(0, rank - below) / count)) * 1000;
            }

            below += count;
        }

        return bounds[^1] * 1000;
    }

    /// <summary>
    /// Samples of several nodes for one interval, added up: counts and gauges summed, the interval the longest of theirs
    /// (they cover the same stretch of time, each by its own node's timer).
    /// </summary>
    public static StatsSample Merge(DateTimeOffset at, IReadOnlyCollection<StatsSample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var aborted = ImmutableSortedDictionary.CreateBuilder<string, long>(StringComparer.Ordinal);
        var buckets = new long[LatencyHistogram.Bounds.Count + 1];
        foreach (var sample in samples)
        {
            foreach (var (reason, count) in sample.Aborted)
            {
                aborted[reason] = aborted.GetValueOrDefault(reason) + count;
            }

            for (var i = 0; i < Math.Min(buckets.Length, sample.LatencyBuckets.Length); i++)
            {
                buckets[i] += sample.LatencyBuckets[i];
            }
        }

        return new StatsSample(
            at,
            samples.Count == 0 ? 0 : samples.Max(s => s.Seconds),
            samples.Sum(s => s.Committed),
            aborted.ToImmutable(),
            [.. buckets],
            samples.Sum(s => s.InDoubt),
            samples.Sum(s => s.Active));
    }

    /// <summary>The wire form (<c>GET /v1/stats/samples</c>): the counts, and the rates and percentiles derived from them.</summary>
    public Value ToValue() => Value.Map(
        ("at", WireFields.Time(At)),
        ("seconds", Math.Round(Seconds, 3)),
        ("committed", Committed),
        ("aborted", Value.Map(Aborted.Select(a => new KeyValuePair<string, Value>(a.Key, a.Value)))),
        ("committed_per_s", Math.Round(CommittedPerSecond, 3)),
        ("aborted_per_s", Math.Round(AbortedPerSecond, 3)),
        ("abort_rate", AbortRate is { } rate ? Math.Round(rate, 4) : Value.Null),
        ("p50_ms", Rounded(Percentile(LatencyBuckets, 0.50))),
        ("p95_ms", Rounded(Percentile(LatencyBuckets, 0.95))),
        ("p99_ms", Rounded(Percentile(LatencyBuckets, 0.99))),
        ("in_doubt", InDoubt),
        ("active", Active),
        ("latency_buckets", Value.List(ImmutableArray.CreateRange(LatencyBuckets.Select(b => (Value)b)))));

    /// <summary>Reads what <see cref="ToValue"/> wrote (another node's samples, gathered for the cluster view).</summary>
    public static StatsSample FromValue(Value value)
    {
        var aborted = ImmutableSortedDictionary.CreateBuilder<string, long>(StringComparer.Ordinal);
        if (value.TryGetField("aborted", out var map) && map.Kind == ValueKind.Map)
        {
            foreach (var (reason, count) in map.AsMap())
            {
                aborted[reason] = count.TryGetInt64(out var n) ? n : 0;
            }
        }

        var buckets = value.TryGetField("latency_buckets", out var list) && list.Kind == ValueKind.List
            ? list.AsList().Select(b => b.TryGetInt64(out var n) ? n : 0).ToImmutableArray()
            : [];
        return new StatsSample(
            WireFields.Deadline(value, "at"),
            value.TryGetField("seconds", out var s) ? Number(s) : 0,
            WireFields.OptLong(value, "committed") ?? 0,
            aborted.ToImmutable(),
            buckets,
            (int)(WireFields.OptLong(value, "in_doubt") ?? 0),
            (int)(WireFields.OptLong(value, "active") ?? 0));
    }

    private static double Number(Value value) => value.Kind switch
    {
        ValueKind.Double => value.AsDouble(),
        ValueKind.Decimal => (double)value.AsDecimal(),
        ValueKind.Int64 => value.AsInt64(),
        _ => 0,
    };

    private static Value Rounded(double? milliseconds) => milliseconds is { } ms ? Math.Round(ms, 3) : Value.Null;
}
