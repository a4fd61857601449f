namespace Cohort.Core.Execution;

/// <summary>
/// A result to be set once, whose awaiters never run inline with the code that sets it: the equivalent of a
/// <see cref="TaskCompletionSource{TResult}"/> made with <c>TaskCreationOptions.RunContinuationsAsynchronously</c>,
/// except that under simulation the awaiters resume on the simulation's thread (through <see cref="Executor.Post"/>)
/// instead of escaping to the thread pool.
/// </summary>
/// <typeparam name="T">The result's type.</typeparam>
public sealed class Promise<T>
{
    private readonly TaskCompletionSource<T> _source;
    private readonly Executor? _simulation;
    private List<TaskCompletionSource<T>>? _awaiters;
    private int _settled;

    /// <summary>Creates an unsettled promise bound to the calling thread's executor.</summary>
    public Promise()
    {
        _simulation = Executor.Simulation;
#pragma warning disable RS0030 // Only outside a simulation (_simulation is null): then the thread pool is where awaiters should resume.
        _source = new TaskCompletionSource<T>(_simulation is null ? TaskCreationOptions.RunContinuationsAsynchronously : TaskCreationOptions.None);
#pragma warning restore RS0030
    }

    /// <summary>The task that completes with the result.</summary>
    /// <remarks>
    /// Under simulation each read before the result is delivered gets a task of its own: a task awaited twice runs its
    /// second awaiter on the thread pool whatever its options (the runtime's rule for await continuations), which
    /// would take that awaiter off the simulation's thread.
    /// </remarks>
    public Task<T> Task
    {
        get
        {
            if (_simulation is null || _source.Task.IsCompleted)
            {
                return _source.Task;
            }

            var own = new TaskCompletionSource<T>();
            (_awaiters ??= []).Add(own);
            return own.Task;
        }
    }

    /// <summary>Whether a result, error or cancellation was set (its task may complete a moment later under simulation).</summary>
    public bool IsSettled => Volatile.Read(ref _settled) != 0;

    /// <summary>Sets the result; false when the promise was already settled.</summary>
    public bool TrySetResult(T result) => Settle(static (source, state) => source.SetResult(state.Result), (Result: result, Error: (Exception?)null, Token: default(CancellationToken)));

    /// <summary>Fails the promise; false when it was already settled.</summary>
    public bool TrySetException(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return Settle(static (source, state) => source.SetException(state.Error!), (Result: default(T)!, Error: error, Token: default(CancellationToken)));
    }

    /// <summary>Cancels the promise; false when it was already settled.</summary>
    public bool TrySetCanceled(CancellationToken cancellationToken = default) =>
        Settle(static (source, state) => source.SetCanceled(state.Token), (Result: default(T)!, Error: (Exception?)null, Token: cancellationToken));

    private bool Settle(Action<TaskCompletionSource<T>, (T Result, Exception? Error, CancellationToken Token)> settle, (T Result, Exception? Error, CancellationToken Token) state)
    {
        if (Interlocked.Exchange(ref _settled, 1) != 0)
        {
            return false;
        }

        if (_simulation is null)
        {
            settle(_source, state);
            return true;
        }

        // Delivered as a later step of the simulation, one step per awaiter.
        _simulation.Post(() =>
        {
            settle(_source, state);
            foreach (var awaiter in _awaiters ?? [])
            {
                _simulation.Post(() => settle(awaiter, state));
            }

            _awaiters = null;
        });
        return true;
    }
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
