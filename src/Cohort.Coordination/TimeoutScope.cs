namespace Cohort.Coordination;

/// <summary>A cancellation token that fires after a delay measured by a <see cref="TimeProvider"/>, or when any linked token does.</summary>
internal sealed class TimeoutScope : IDisposable
{
    private readonly CancellationTokenSource? _timer;
    private readonly CancellationTokenSource _linked;

    public TimeoutScope(TimeSpan delay, TimeProvider time, CancellationToken first, CancellationToken second = default)
    {
        if (ReferenceEquals(time, TimeProvider.System))
        {
            // One source, not two: this runs for every protocol message, and each source with a delay is a timer.
            _linked = CancellationTokenSource.CreateLinkedTokenSource(first, second);
#pragma warning disable RS0030 // TimeProvider.System only, which a simulation never passes: the same real-time timer new CancellationTokenSource(delay, time) would make.
            _linked.CancelAfter(delay);
#pragma warning restore RS0030
            return;
        }

        _timer = new CancellationTokenSource(delay, time);
        _linked = CancellationTokenSource.CreateLinkedTokenSource(first, second, _timer.Token);
    }

    public CancellationToken Token => _linked.Token;

    public void Dispose()
    {
        _linked.Dispose();
        _timer?.Dispose();
    }
}
