namespace Cohort.Core;

/// <summary>
/// Delays between retries that grow by <see cref="Multiplier"/> from <see cref="Initial"/> up to <see cref="Max"/>, with
/// optional jitter. A mutable value: keep it in a local (or a non-readonly field) and call <see cref="Next"/> before each
/// wait.
/// </summary>
/// <remarks>
/// With jitter fraction <c>j</c> a delay <c>d</c> becomes a uniform draw from <c>[d·(1−j), d)</c>; the growth follows the
/// un-jittered delay, so jitter never compounds. Growth saturates at <see cref="Max"/>
/// (<see cref="TimeSpan.MaxValue"/> for doubling without a cap).
/// </remarks>
public struct Backoff
{
    private readonly Random? _random;
    private TimeSpan _current;

    /// <summary>Creates a backoff whose first <see cref="Next"/> returns <paramref name="initial"/> (capped at <paramref name="max"/>).</summary>
    /// <param name="initial">The first delay; not negative.</param>
    /// <param name="max">The largest delay; at least <paramref name="initial"/>.</param>
    /// <param name="multiplier">Growth per call of <see cref="Next"/>; at least 1.</param>
    /// <param name="jitter">The fraction of each delay that is random, in [0, 1]; 0 for none.</param>
    /// <param name="random">The source of jitter (seed one for reproducible tests); the current <see cref="Execution.Executor"/>'s when null.</param>
    public Backoff(TimeSpan initial, TimeSpan max, double multiplier = 2, double jitter = 0, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(initial, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, initial);
        ArgumentOutOfRangeException.ThrowIfLessThan(multiplier, 1.0);
        ArgumentOutOfRangeException.ThrowIfLessThan(jitter, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(jitter, 1.0);
        Initial = initial;
        Max = max;
        Multiplier = multiplier;
        Jitter = jitter;
        _random = random;
        _current = initial;
    }

    /// <summary>The first delay.</summary>
    public TimeSpan Initial { get; }

    /// <summary>The largest delay (before jitter).</summary>
    public TimeSpan Max { get; }

    /// <summary>The growth per call of <see cref="Next"/>.</summary>
    public double Multiplier { get; }

    /// <summary>The fraction of each delay that is random.</summary>
    public double Jitter { get; }

    /// <summary>How many delays <see cref="Next"/> has returned since creation or <see cref="Reset"/>.</summary>
    public int Attempts { get; private set; }

    /// <summary>Returns the next delay (jittered) and grows the one after it.</summary>
    public TimeSpan Next()
    {
        var delay = _current;
        var grown = _current.Ticks * Multiplier;
        _current = grown >= Max.Ticks ? Max : TimeSpan.FromTicks((long)grown);
        Attempts++;
        if (Jitter == 0 || delay == TimeSpan.Zero)
        {
            return delay;
        }

        var draw = (_random ?? Execution.Executor.Current.Random).NextDouble();
        return TimeSpan.FromTicks((long)(delay.Ticks * (1 - Jitter + (Jitter * draw))));
    }

    /// <summary>Starts again from <see cref="Initial"/> (after a success, say).</summary>
    public void Reset()
    {
        _current = Initial;
        Attempts = 0;
    }
}
