using System.Globalization;
using Cohort.Simulation.Runtime;

namespace Cohort.Simulation.Schedules;

/// <summary>
/// A systematic scheduler for in-process concurrency (in the manner of Coyote's random-walk strategy): a scenario runs
/// on a <see cref="SimLoop"/>, whose seed picks which ready continuation runs at each step, so each seed is one
/// interleaving of the real code — replayable, because the seed is all it depends on. Runs <paramref name="seeds"/> of
/// them and reports every seed whose scenario found a violation.
/// </summary>
internal static class Schedules
{
    public static List<string> Explore(int seeds, Func<SimLoop, Task<string?>> scenario, int firstSeed = 1) =>
        SimThread.Run(() => ExploreHere(seeds, scenario, firstSeed));

    private static List<string> ExploreHere(int seeds, Func<SimLoop, Task<string?>> scenario, int firstSeed)
    {
        var failures = new List<string>();
        for (var seed = firstSeed; seed < firstSeed + seeds; seed++)
        {
            var loop = new SimLoop(seed, new SimTrace(keep: false));
            Task<string?>? run = null;
            string? violation = null;
            SimStop stop;
            try
            {
                stop = loop.Run(() => (run ??= scenario(loop)).IsCompleted, maxSteps: 1_000_000, maxTime: TimeSpan.FromMinutes(1));
            }
            catch (ScheduleViolation e)
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"seed {seed}: {e.Message}"));
                continue;
            }

            if (stop != SimStop.Done)
            {
                violation = $"did not finish ({stop}: a deadlock or a lost wake-up) after {loop.Steps} steps";
            }
            else if (run!.IsFaulted)
            {
                violation = run.Exception!.InnerException!.ToString();
            }
            else
            {
                violation = run.Result;
            }

            if (loop.Escapes.Count > 0)
            {
                violation = $"escaped the scheduler: {loop.Escapes[0]}";
            }

            if (violation is not null)
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"seed {seed}: {violation}"));
            }
        }

        return failures;
    }
}

/// <summary>An invariant broken at some step of a schedule.</summary>
internal sealed class ScheduleViolation(string message) : Exception(message);
