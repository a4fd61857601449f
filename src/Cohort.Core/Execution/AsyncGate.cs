namespace Cohort.Core.Execution;

/// <summary>
/// An asynchronous mutual-exclusion gate, first come first served: the replacement for a <c>SemaphoreSlim(1, 1)</c>
/// whose waiters resume through a <see cref="Promise"/>, so that under simulation they stay on the simulation's thread.
/// </summary>
public sealed class AsyncGate
{
    private readonly Lock _lock = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private bool _held;

    /// <summary>Whether someone holds the gate now.</summary>
    public bool IsHeld
    {
        get
        {
            lock (_lock)
            {
                return _held;
            }
        }
    }

    /// <summary>Enters the gate if nobody holds it; never waits.</summary>
    public bool TryEnter()
    {
        lock (_lock)
        {
            if (_held)
            {
                return false;
            }

            _held = true;
            return true;
        }
    }

    /// <summary>Enters the gate, waiting for the holder (and those before) to leave.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired before the gate was entered.</exception>
    public Task WaitAsync(CancellationToken cancellationToken = default)
    {
        // As SemaphoreSlim: a token that has already fired refuses entry even to a free gate.
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        Waiter waiter;
        lock (_lock)
        {
            if (!_held)
            {
                _held = true;
                return Task.CompletedTask;
            }

            waiter = new Waiter(this, cancellationToken);
            waiter.Node = _waiters.AddLast(waiter);
        }

        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.UnsafeRegister(static state => ((Waiter)state!).Cancel(), waiter);
            bool granted;
            lock (_lock)
            {
                waiter.Registration = registration;
                granted = waiter.Node is null;
            }

            if (granted)
            {
                // Handed the gate (or cancelled) before the registration was stored: nobody else will remove it.
                registration.Unregister();
            }
        }

        return waiter.Promise.Task;
    }

    /// <summary>Leaves the gate, handing it to the longest waiter if any.</summary>
    /// <exception cref="InvalidOperationException">The gate is not held.</exception>
    public void Release()
    {
        Waiter? next = null;
        lock (_lock)
        {
            if (!_held)
            {
                throw new InvalidOperationException("The gate is not held.");
            }

            while (_waiters.First is { } first)
            {
                _waiters.RemoveFirst();
                first.Value.Node = null;
                if (first.Value.Promise.TrySetResult())
                {
                    next = first.Value;
                    break;
                }
            }

            if (next is null)
            {
                _held = false;
            }
        }

        // Unregister does not wait for a running callback (Dispose would, and the callback takes the lock).
        CancellationTokenRegistration registration;
        lock (_lock)
        {
            registration = next?.Registration ?? default;
        }

        registration.Unregister();
    }

    private sealed class Waiter(AsyncGate gate, CancellationToken cancellationToken)
    {
        public Promise Promise { get; } = new();

        public LinkedListNode<Waiter>? Node { get; set; }

        public CancellationTokenRegistration Registration { get; set; }

        public void Cancel()
        {
            lock (gate._lock)
            {
                if (Node is not null && Promise.TrySetCanceled(cancellationToken))
                {
                    gate._waiters.Remove(Node);
                    Node = null;
                }
            }
        }
    }
}
