using System.Collections.Immutable;
using Cohort.Coordination;

namespace Cohort.Server.Services;

/// <summary>
/// Samples the node's coordinator every <see cref="Interval"/> (by the node's <see cref="TimeProvider"/>) and keeps the
/// last <see cref="Capacity"/> samples (ten minutes at the default two seconds) for the dashboard's charts
/// (<c>GET /v1/stats/samples</c>). Each sample is the change since the previous reading: commits, aborts by reason and
/// the commit-latency histogram's buckets, with the in-doubt and unfinished counts at its end.
/// </summary>
internal sealed class StatsSampler
{
    /// <summary>The default time between samples.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(2);

    /// <summary>The default number of samples kept.</summary>
    public const int DefaultCapacity = 300;

    private readonly Func<DateTimeOffset, StatsReading> _read;
    private readonly TimeProvider _time;
    private readonly Lock _sync = new();
    private readonly StatsSample[] _ring;
    private int _next;
    private int _count;
    private StatsReading? _previous;

    /// <summary>A sampler of <paramref name="coordinator"/>.</summary>
    public StatsSampler(Coordinator coordinator, TimeProvider time, TimeSpan? interval = null, int capacity = DefaultCapacity)
        : this(at => StatsReading.Of(coordinator, at), time, interval, capacity)
    {
        ArgumentNullException.ThrowIfNull(coordinator);
    }

    /// <summary>A sampler of whatever <paramref name="read"/> reads (tests give their own figures).</summary>
    public StatsSampler(Func<DateTimeOffset, StatsReading> read, TimeProvider time, TimeSpan? interval = null, int capacity = DefaultCapacity)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _read = read;
        _time = time;
        Interval = interval ?? DefaultInterval;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Interval, TimeSpan.Zero);
        Capacity = capacity;
        _ring = new StatsSample[capacity];
    }

    /// <summary>The time between samples.</summary>
    public TimeSpan Interval { get; }

    /// <summary>How many samples are kept.</summary>
    public int Capacity { get; }

    /// <summary>Reads the figures now and, when there was a reading before, keeps the sample between the two.</summary>
    /// <returns>The new sample; null for the first reading.</returns>
    public StatsSample? SampleNow()
    {
        var reading = _read(_time.GetUtcNow());
        lock (_sync)
        {
            var previous = _previous;
            _previous = reading;
            if (previous is null)
            {
                return null;
            }

            var sample = StatsSample.Between(previous, reading);
            _ring[_next] = sample;
            _next = (_next + 1) % Capacity;
            _count = Math.Min(_count + 1, Capacity);
            return sample;
        }
    }

    /// <summary>The samples kept, oldest first; only those later than <paramref name="since"/> when given.</summary>
    public ImmutableArray<StatsSample> Samples(DateTimeOffset? since = null)
    {
        lock (_sync)
        {
            var samples = ImmutableArray.CreateBuilder<StatsSample>(_count);
            var first = (_next - _count + Capacity) % Capacity;
            for (var i = 0; i < _count; i++)
            {
                var sample = _ring[(first + i) % Capacity];
                if (since is null || sample.At > since.Value)
                {
                    samples.Add(sample);
                }
            }

            return samples.ToImmutable();
        }
    }

    /// <summary>Samples every <see cref="Interval"/> until <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        SampleNow();
        using var timer = new PeriodicTimer(Interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                SampleNow();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>
    /// Several nodes' samples as one series: each sample goes to the slot of <see cref="Interval"/> its end falls in
    /// (by each node's clock: nodes whose clocks disagree by more than an interval land in neighbouring slots), and the
    /// samples of one slot are added up (<see cref="StatsSample.Merge"/>); a node with two samples in a slot (its timer
    /// fired late, then early) counts both, over their combined interval.
    /// </summary>
    public static ImmutableArray<StatsSample> Combine(IEnumerable<IReadOnlyList<StatsSample>> nodes, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        var slots = new SortedDictionary<long, List<StatsSample>>();
        foreach (var samples in nodes)
        {
            foreach (var group in samples.GroupBy(s => s.At.UtcTicks / interval.Ticks))
            {
                var list = group.ToList();
                var one = list.Count == 1 ? list[0] : StatsSample.Merge(list[^1].At, list) with
                {
                    Seconds = list.Sum(s => s.Seconds),
                    InDoubt = list[^1].InDoubt,
                    Active = list[^1].Active,
                };
                if (!slots.TryGetValue(group.Key, out var slot))
                {
                    slots[group.Key] = slot = [];
                }

                slot.Add(one);
            }
        }

        return [.. slots.Select(s => StatsSample.Merge(new DateTimeOffset((s.Key + 1) * interval.Ticks, TimeSpan.Zero), s.Value))];
    }
}
