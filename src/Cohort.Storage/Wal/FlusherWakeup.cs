namespace Cohort.Storage.Wal;

/// <summary>
/// Wakes a dedicated thread that sleeps until there is work: <see cref="Set"/> from any thread, <see cref="Wait"/> on
/// the sleeper. Unlike <c>SemaphoreSlim</c>, whose synchronous Wait spins and calls <c>sched_yield</c> before it
/// blocks, the sleeper blocks at once: a spinning flusher woken for every commit at low load cost the WAL's thread
/// ~0.4 ms of CPU per transaction, eight times the fsync it was waiting to do (docs/performance.md, issue 24). The
/// wake-up of a blocked thread costs a futex call, which every commit pays anyway for its fsync.
/// </summary>
internal sealed class FlusherWakeup
{
    private readonly object _monitor = new();
    private bool _set;

    /// <summary>Wakes the sleeper, or makes its next <see cref="Wait"/> return at once. Sets do not accumulate.</summary>
    public void Set()
    {
        lock (_monitor)
        {
            if (_set)
            {
                return;
            }

            _set = true;
            Monitor.Pulse(_monitor);
        }
    }

    /// <summary>Blocks until <see cref="Set"/> was called since the last return, then clears it.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> was cancelled.</exception>
    public void Wait(CancellationToken cancellation)
    {
        using var registration = cancellation.UnsafeRegister(static state => ((FlusherWakeup)state!).Interrupt(), this);
        lock (_monitor)
        {
            while (!_set)
            {
                cancellation.ThrowIfCancellationRequested();
                Monitor.Wait(_monitor);
            }

            _set = false;
        }
    }

    private void Interrupt()
    {
        lock (_monitor)
        {
            Monitor.PulseAll(_monitor);
        }
    }
}
