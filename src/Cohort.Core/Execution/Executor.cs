namespace Cohort.Core.Execution;

/// <summary>
/// Where the protocol code's background work, deferred completions and random draws come from. A running node uses
/// <see cref="ThreadPool"/>: the thread pool and the runtime's shared random. Under deterministic simulation one
/// thread runs a whole simulated cluster and installs its own executor as <see cref="Current"/> for the duration, so
/// the same code becomes a pure function of the simulation's seed.
/// </summary>
/// <remarks>
/// The executor is ambient per thread, like <see cref="SynchronizationContext.Current"/>: the code it serves (engines,
/// the lock manager, the coordinator) keeps its constructors, and code running on a simulation's thread reaches the
/// simulation without being handed it. Code that is not on such a thread always sees the thread pool.
/// </remarks>
public abstract class Executor
{
    [ThreadStatic]
    private static Executor? t_installed;

    /// <summary>The thread pool: what every thread sees unless a simulation installed itself on it.</summary>
    public static Executor ThreadPool { get; } = new ThreadPoolExecutor();

    /// <summary>The executor of the calling thread.</summary>
    public static Executor Current => t_installed ?? ThreadPool;

    /// <summary>The simulation's executor when the calling thread runs one, else null.</summary>
    public static Executor? Simulation => t_installed;

    /// <summary>The bugs planted in the protocol (only a simulation ever plants any).</summary>
    public virtual PlantedBug PlantedBugs => PlantedBug.None;

    /// <summary>Whether <paramref name="bug"/> is planted for the code running on this thread.</summary>
    public static bool IsPlanted(PlantedBug bug) => t_installed is { } simulation && (simulation.PlantedBugs & bug) != 0;

    /// <summary>Random draws (jitter, identifiers). Only ever used from this executor's own threads.</summary>
    public abstract Random Random { get; }

    /// <summary>Runs <paramref name="action"/> later, never inline with the caller.</summary>
    public abstract void Post(Action action);

    /// <summary>
    /// Runs <paramref name="action"/>, work that stands for a slow device operation (a write and fsync), later. The
    /// thread pool runs it like <see cref="Post"/>; a simulation adds the device's latency in virtual time, so that a
    /// crash can fall between a write and its fsync.
    /// </summary>
    public virtual void PostIo(Action action) => Post(action);

    /// <summary>Starts background work (<c>Task.Run</c> on the thread pool).</summary>
    public abstract Task Run(Func<Task> work);

    /// <summary>Only this assembly and the simulation derive executors (planted bugs must stay out of reach).</summary>
    private protected Executor()
    {
    }

    /// <summary>Makes <paramref name="executor"/> the calling thread's executor (null: back to the thread pool) and returns the previous one.</summary>
    private protected static Executor? Install(Executor? executor)
    {
        var previous = t_installed;
        t_installed = executor;
        return previous;
    }

    // The one place the thread pool and the shared random stand for the executor: a running node's. A simulation
    // installs its own executor on its thread, so it never reaches this one.
    private sealed class ThreadPoolExecutor : Executor
    {
#pragma warning disable RS0030 // The production executor is what these bans point to; a simulation installs its own instead.
        public override Random Random => Random.Shared;

        public override void Post(Action action) =>
            System.Threading.ThreadPool.UnsafeQueueUserWorkItem(static a => a(), action, preferLocal: false);

        public override Task Run(Func<Task> work) => Task.Run(work);
#pragma warning restore RS0030
    }
}
