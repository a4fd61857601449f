using System.Diagnostics;
using Cohort.Core.Execution;

namespace Cohort.Simulation.Runtime;

/// <summary>
/// The single-threaded scheduler of one simulated run: every task of the simulated cluster, every timer and every
/// message runs as a step of this loop, on the thread that called <see cref="Run"/>. Which ready step runs next is
/// drawn from the seeded random, and time is virtual (it jumps to the next timer when nothing is ready), so a run is a
/// pure function of its seed.
/// </summary>
/// <remarks>
/// Continuations stay on the loop because nothing ever completes a task from another thread: the loop runs outside any
/// <see cref="Task"/>, with no <see cref="SynchronizationContext"/>, so an awaiter (even with
/// <c>ConfigureAwait(false)</c>) resumes inline in the step that completed its task. Anything that does reach another
/// thread and touches the simulation (a stray <c>Task.Run</c>, a real timer) is recorded in <see cref="Escapes"/>,
/// which the checker treats as a failure.
/// </remarks>
internal sealed class SimLoop : Executor
{
    private readonly List<(Action Step, SimProcess? Process)> _ready = [];
    private readonly PriorityQueue<SimTimer, (long Due, long Sequence)> _timers = new();
    private readonly List<string> _escapes = [];
    private readonly List<(Action Step, SimProcess? Process)> _parked = [];
    private readonly int _thread;
    private long _sequence;

    private PlantedBug _bugs;

    public override PlantedBug PlantedBugs => _bugs;

    /// <summary>Plants bugs in the protocol code this loop runs (mutation testing).</summary>
    public void Plant(PlantedBug bugs) => _bugs = bugs;

    public SimLoop(int seed, SimTrace trace)
    {
        Seed = seed;
        Trace = trace;
        Random = new Random(seed);
        Clock = new SimClock(this);
        _thread = Environment.CurrentManagedThreadId;
    }

    public int Seed { get; }

    public SimTrace Trace { get; }

    public override Random Random { get; }

    /// <summary>The virtual clock: pass it as the <see cref="TimeProvider"/> of everything simulated.</summary>
    public SimClock Clock { get; }

    /// <summary>Virtual time since the start of the run, in ticks.</summary>
    public long Now { get; private set; }

    /// <summary>Runs after every step: invariants checked at every point of the schedule.</summary>
    public Action? AfterStep { get; set; }

    /// <summary>Steps run so far.</summary>
    public long Steps { get; private set; }

    /// <summary>Uses of the simulation from another thread: each one a determinism bug.</summary>
    public IReadOnlyList<string> Escapes
    {
        get
        {
            lock (_escapes)
            {
                return [.. _escapes];
            }
        }
    }

    /// <summary>The process whose step is running (null: the simulation itself).</summary>
    public SimProcess? Running { get; private set; }

    /// <summary>Runs <paramref name="action"/> later as a step of the current process.</summary>
    public override void Post(Action action)
    {
        if (CheckThread())
        {
            _ready.Add((action, Running));
        }
    }

    /// <summary>Device work (a write and fsync) finishes 20 µs to 2 ms of virtual time later.</summary>
    public override void PostIo(Action action) => After(TimeSpan.FromTicks(Random.Next(200, 20_000)), Running, action);

    /// <summary>Runs <paramref name="action"/> later as a step of <paramref name="process"/> (dropped if it has died by then).</summary>
    public void Post(SimProcess? process, Action action)
    {
        if (CheckThread())
        {
            _ready.Add((action, process));
        }
    }

    public override Task Run(Func<Task> work)
    {
        var started = new TaskCompletionSource();
        if (CheckThread())
        {
            _ready.Add((() => StartAsync(work, started), Running));
        }

        return started.Task;
    }

    /// <summary>Runs <paramref name="action"/> after <paramref name="delay"/> of virtual time, as a step of <paramref name="process"/>.</summary>
    public void After(TimeSpan delay, SimProcess? process, Action action) => Schedule(new SimTimer(this, _ => action(), null, process), delay);

    /// <summary>
    /// Calls into <paramref name="target"/>: <paramref name="call"/> runs as its step, the answer comes back as a step of
    /// the caller, and if the target dies first the caller gets an <see cref="IOException"/> (a reset connection).
    /// </summary>
    public Task<T> Call<T>(SimProcess target, Func<Task<T>> call)
    {
        var caller = Running;
        var answer = new TaskCompletionSource<T>();
        if (!target.Alive)
        {
            answer.SetException(new IOException($"simulated: {target} is down"));
            return answer.Task;
        }

        target.OnDeath(() => Post(caller, () => answer.TrySetException(new IOException($"simulated: {target} died before answering"))));
        Post(target, () => Forward(call, answer, caller));
        return answer.Task;
    }

    /// <summary>Runs when a process has just answered a <see cref="Call{T}"/> (a fault may strike right then).</summary>
    public Action<SimProcess?>? Answered { get; set; }

    /// <summary>Stops <paramref name="process"/> for <paramref name="duration"/> (SIGSTOP, then SIGCONT): nothing of it runs meanwhile.</summary>
    public void Pause(SimProcess process, TimeSpan duration)
    {
        process.Paused = true;
        After(duration, null, () =>
        {
            process.Paused = false;
            foreach (var parked in _parked.Where(p => p.Process == process))
            {
                _ready.Add(parked);
            }

            _parked.RemoveAll(p => p.Process == process);
        });
    }

    /// <summary>Kills <paramref name="process"/>: none of its pending steps or timers will run.</summary>
    public void Kill(SimProcess process) => process.Die();

    /// <summary>
    /// Runs steps until <paramref name="done"/> holds, nothing is left to run, or a limit is reached; the loop's thread
    /// is the simulation's thread meanwhile. Returns why it stopped.
    /// </summary>
    public SimStop Run(Func<bool> done, long maxSteps, TimeSpan maxTime)
    {
        if (Environment.CurrentManagedThreadId != _thread)
        {
            throw new InvalidOperationException("A simulation runs on the thread that created it.");
        }

        var context = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        var previous = Install(this);
        try
        {
            var limit = maxTime.Ticks;
            while (!done())
            {
                if (Steps >= maxSteps)
                {
                    return SimStop.StepLimit;
                }

                if (_ready.Count == 0)
                {
                    if (!_timers.TryPeek(out _, out var key))
                    {
                        return SimStop.Idle;
                    }

                    if (key.Due > limit)
                    {
                        return SimStop.TimeLimit;
                    }

                    Now = Math.Max(Now, key.Due);
                    while (_timers.TryPeek(out var timer, out var next) && next.Due <= Now)
                    {
                        _timers.Dequeue();
                        timer.Fire(next.Sequence);
                    }

                    continue;
                }

                var index = _ready.Count == 1 ? 0 : Random.Next(_ready.Count);
                var (step, process) = _ready[index];
                _ready[index] = _ready[^1];
                _ready.RemoveAt(_ready.Count - 1);
                if (process is { Alive: false })
                {
                    continue;
                }

                if (process is { Paused: true })
                {
                    _parked.Add((step, process));
                    continue;
                }

                Steps++;
                Running = process;
                try
                {
                    step();
                }
                finally
                {
                    Running = null;
                }

                AfterStep?.Invoke();
            }

            return SimStop.Done;
        }
        finally
        {
            Install(previous);
            SynchronizationContext.SetSynchronizationContext(context);
        }
    }

    internal void Schedule(SimTimer timer, TimeSpan due)
    {
        if (!CheckThread())
        {
            return;
        }

        timer.Sequence = ++_sequence;
        _timers.Enqueue(timer, (Now + Math.Max(0, due.Ticks), timer.Sequence));
    }

    /// <summary>
    /// False (and the use recorded in <see cref="Escapes"/>) when called from a thread other than the loop's: something
    /// escaped the deterministic scheduler. The caller then drops what it was asked to schedule, so the run stalls
    /// and fails instead of racing on two threads.
    /// </summary>
    internal bool CheckThread()
    {
        if (Environment.CurrentManagedThreadId == _thread)
        {
            return true;
        }

        lock (_escapes)
        {
            _escapes.Add($"used from thread {Environment.CurrentManagedThreadId}: {new StackTrace(1, fNeedFileInfo: false)}");
        }

        return false;
    }

    private async void Forward<T>(Func<Task<T>> call, TaskCompletionSource<T> answer, SimProcess? caller)
    {
        try
        {
            var result = await call().ConfigureAwait(false);
            Post(caller, () => answer.TrySetResult(result));
            Answered?.Invoke(Running);
        }
        catch (Exception e)
        {
            Post(caller, () => answer.TrySetException(e));
        }
    }

    private static async void StartAsync(Func<Task> work, TaskCompletionSource started)
    {
        try
        {
            await work().ConfigureAwait(false);
            started.SetResult();
        }
        catch (OperationCanceledException e)
        {
            started.SetCanceled(e.CancellationToken);
        }
        catch (Exception e)
        {
            started.SetException(e);
        }
    }
}

/// <summary>Why <see cref="SimLoop.Run"/> returned.</summary>
internal enum SimStop
{
    /// <summary>The condition holds.</summary>
    Done,

    /// <summary>Nothing is ready and no timer is set: the simulated cluster is stuck.</summary>
    Idle,

    /// <summary>The next timer is past the time limit.</summary>
    TimeLimit,

    /// <summary>Too many steps: a livelock, or a limit set too low.</summary>
    StepLimit,
}
