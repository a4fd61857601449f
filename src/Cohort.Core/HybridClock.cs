namespace Cohort.Core;

/// <summary>
/// A hybrid logical clock (Kulkarni et al.): timestamps never go backwards, always move past any
/// timestamp the clock has observed, and stay within the clock skew of physical time. Lock-free.
/// </summary>
public sealed class HybridClock
{
    private readonly TimeProvider _time;
    private long _last;

    /// <summary>Creates a clock reading physical time from <paramref name="time"/>.</summary>
    public HybridClock(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    /// <summary>The latest timestamp issued or observed.</summary>
    public HlcTimestamp Current => new(Volatile.Read(ref _last));

    /// <summary>Issues a timestamp later than every one issued or observed before.</summary>
    public HlcTimestamp Now()
    {
        var physical = _time.GetUtcNow().ToUnixTimeMilliseconds() << HlcTimestamp.LogicalBits;
        while (true)
        {
            var last = Volatile.Read(ref _last);
            var next = Math.Max(physical, last + 1);
            if (Interlocked.CompareExchange(ref _last, next, last) == last)
            {
                return new HlcTimestamp(next);
            }
        }
    }

    /// <summary>Records a timestamp seen from elsewhere so later ones are issued after it.</summary>
    public void Observe(HlcTimestamp seen)
    {
        while (true)
        {
            var last = Volatile.Read(ref _last);
            if (seen.Value <= last || Interlocked.CompareExchange(ref _last, seen.Value, last) == last)
            {
                return;
            }
        }
    }
}
