namespace Cohort.Simulation.Runtime;

/// <summary>Virtual time of a <see cref="SimLoop"/>: the clock and timers every simulated component is given.</summary>
internal sealed class SimClock(SimLoop loop) : TimeProvider
{
    /// <summary>Where virtual time starts: a fixed instant, so ids and timestamps repeat from run to run.</summary>
    public static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow()
    {
        _ = loop.CheckThread();
        return Epoch.AddTicks(loop.Now);
    }

    public override long GetTimestamp()
    {
        _ = loop.CheckThread();
        return loop.Now;
    }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new SimTimer(loop, callback, state, loop.Running);
        timer.Change(dueTime, period);
        return timer;
    }
}

/// <summary>A timer of virtual time; fires as a step of the loop.</summary>
internal sealed class SimTimer(SimLoop loop, TimerCallback callback, object? state, SimProcess? process) : ITimer
{
    private TimeSpan _period = Timeout.InfiniteTimeSpan;
    private bool _disposed;

    /// <summary>The schedule this timer is queued under; a firing with another sequence is stale (changed since).</summary>
    public long Sequence { get; set; }

    public bool Change(TimeSpan dueTime, TimeSpan period)
    {
        if (_disposed)
        {
            return false;
        }

        _period = period;
        Sequence = 0;
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            loop.Schedule(this, dueTime);
        }

        return true;
    }

    public void Fire(long sequence)
    {
        if (_disposed || sequence != Sequence)
        {
            return;
        }

        loop.Post(process, () =>
        {
            if (_disposed || sequence != Sequence)
            {
                return;
            }

            if (_period != Timeout.InfiniteTimeSpan && _period > TimeSpan.Zero)
            {
                loop.Schedule(this, _period);
            }

            callback(state);
        });
    }

    public void Dispose() => _disposed = true;

    public ValueTask DisposeAsync()
    {
        _disposed = true;
        return ValueTask.CompletedTask;
    }
}
