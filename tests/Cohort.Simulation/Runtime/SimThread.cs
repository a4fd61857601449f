using System.Runtime.ExceptionServices;

namespace Cohort.Simulation.Runtime;

/// <summary>
/// Runs a simulation on a thread of its own: no synchronization context and the default task scheduler, which is what
/// keeps every continuation inline on the loop (a test runner's thread has a context of its own, and with one current
/// even <c>ConfigureAwait(false)</c> continuations leave for the thread pool).
/// </summary>
internal static class SimThread
{
    public static T Run<T>(Func<T> body)
    {
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = body();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        }, maxStackSize: 16 * 1024 * 1024) { Name = "cohort-simulation" };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }
}
