namespace Cohort.Core.Execution;

/// <summary>
/// A result to be set once, whose awaiters never run inline with the code that sets it: the equivalent of a
/// <see cref="TaskCompletionSource{TResult}"/> made with <see cref="TaskCreationOptions.RunContinuationsAsynchronously"/>,
/// except that under simulation the awaiters resume on the simulation's thread (through <see cref="Executor.Post"/>)
/// instead of escaping to the thread pool.
/// </summary>
/// <typeparam name="T">The result's type.</typeparam>
public sealed class Promise<T>
{
    private readonly TaskCompletionSource<T> _source;
    private readonly Executor? _simulation;
    private int _settled;

    /// <summary>Creates an unsettled promise bound to the calling thread's executor.</summary>
    public Promise()
    {
        _simulation = Executor.Simulation;
        _source = new TaskCompletionSource<T>(_simulation is null ? TaskCreationOptions.RunContinuationsAsynchronously : TaskCreationOptions.None);
    }

    /// <summary>The task that completes with the result.</summary>
    public Task<T> Task => _source.Task;

    /// <summary>Whether a result, error or cancellation was set (its task may complete a moment later under simulation).</summary>
    public bool IsSettled => Volatile.Read(ref _settled) != 0;

    /// <summary>Sets the result; false when the promise was already settled.</summary>
    public bool TrySetResult(T result)
    {
        if (!Claim())
        {
            return false;
        }

        if (_simulation is null)
        {
            _source.SetResult(result);
        }
        else
        {
            _simulation.Post(() => _source.SetResult(result));
        }

        return true;
    }

    /// <summary>Fails the promise; false when it was already settled.</summary>
    public bool TrySetException(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (!Claim())
        {
            return false;
        }

        if (_simulation is null)
        {
            _source.SetException(error);
        }
        else
        {
            _simulation.Post(() => _source.SetException(error));
        }

        return true;
    }

    /// <summary>Cancels the promise; false when it was already settled.</summary>
    public bool TrySetCanceled(CancellationToken cancellationToken = default)
    {
        if (!Claim())
        {
            return false;
        }

        if (_simulation is null)
        {
            _source.SetCanceled(cancellationToken);
        }
        else
        {
            _simulation.Post(() => _source.SetCanceled(cancellationToken));
        }

        return true;
    }

    private bool Claim() => Interlocked.Exchange(ref _settled, 1) == 0;
}

/// <summary>A <see cref="Promise{T}"/> without a value: a one-shot signal.</summary>
public sealed class Promise
{
    private readonly Promise<bool> _inner = new();

    /// <summary>The task that completes when the promise is settled.</summary>
    public Task Task => _inner.Task;

    /// <inheritdoc cref="Promise{T}.IsSettled"/>
    public bool IsSettled => _inner.IsSettled;

    /// <summary>Completes the promise; false when it was already settled.</summary>
    public bool TrySetResult() => _inner.TrySetResult(true);

    /// <inheritdoc cref="Promise{T}.TrySetException"/>
    public bool TrySetException(Exception error) => _inner.TrySetException(error);

    /// <inheritdoc cref="Promise{T}.TrySetCanceled"/>
    public bool TrySetCanceled(CancellationToken cancellationToken = default) => _inner.TrySetCanceled(cancellationToken);
}
