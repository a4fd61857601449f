using System.Runtime.ExceptionServices;
using Cohort.Core.Execution;

namespace Cohort.Simulation.Disk;

/// <summary>
/// A minimal simulation executor for tests: runs a body on a fresh thread (no synchronization context) with itself
/// installed as <see cref="Executor.Current"/>, and runs posted actions one by one until the body's task completes.
/// </summary>
internal sealed class SingleThreadExecutor : Executor
{
    private readonly Queue<Action> _queue = new();
    private readonly Lock _lock = new();

    private SingleThreadExecutor(int seed) => Random = new Random(seed);

    public override Random Random { get; }

    /// <summary>Actions run so far.</summary>
    public long Steps { get; private set; }

    /// <summary>The simulation's thread.</summary>
    public int ThreadId { get; private set; }

    public override void Post(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        lock (_lock)
        {
            _queue.Enqueue(action);
        }
    }

    public override Task Run(Func<Task> work)
    {
        var done = new Promise();
        Post(() => work().ContinueWith(
            t =>
            {
                if (t.Exception is { } error)
                {
                    done.TrySetException(error.InnerException ?? error);
                }
                else
                {
                    done.TrySetResult();
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default));
        return done.Task;
    }

    /// <summary>Forgets every queued action: the process they belonged to died.</summary>
    public void DropQueued()
    {
        lock (_lock)
        {
            _queue.Clear();
        }
    }

    /// <summary>Runs <paramref name="body"/> as a simulation seeded with <paramref name="seed"/> and returns its result.</summary>
    public static T Simulate<T>(int seed, Func<SingleThreadExecutor, Task<T>> body)
    {
        var executor = new SingleThreadExecutor(seed);
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            executor.ThreadId = Environment.CurrentManagedThreadId;
            var previous = Install(executor);
            try
            {
                var task = body(executor);
                while (!task.IsCompleted)
                {
                    Action next;
                    lock (executor._lock)
                    {
                        if (!executor._queue.TryDequeue(out next!))
                        {
                            throw new InvalidOperationException("The simulation stalled: its task waits for something nothing will do.");
                        }
                    }

                    executor.Steps++;
                    next();
                }

                result = task.GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                Install(previous);
            }
        })
        {
            Name = "simulation",
        };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }

    /// <inheritdoc cref="Simulate{T}(int, Func{SingleThreadExecutor, Task{T}})"/>
    public static void Simulate(int seed, Func<SingleThreadExecutor, Task> body) =>
        Simulate(seed, async executor =>
        {
            await body(executor);
            return true;
        });
}
