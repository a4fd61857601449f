using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Cohort.Peers;

/// <summary>What one closed-loop run measured.</summary>
internal sealed record LoopResult(string Peer, int Clients, double TxPerSecond, double P50Ms, double P99Ms, long Committed, long Aborted, string Durability)
{
    /// <summary>The one JSON line a subcommand prints.</summary>
    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["peer"] = Peer,
        ["clients"] = Clients,
        ["tx_per_s"] = Math.Round(TxPerSecond, 1),
        ["p50_ms"] = Math.Round(P50Ms, 2),
        ["p99_ms"] = Math.Round(P99Ms, 2),
        ["committed"] = Committed,
        ["aborted"] = Aborted,
        ["durability"] = Durability,
    });
}

/// <summary>
/// N clients, each running one transfer at a time for warm-up + duration; only transfers that both started after the
/// warm-up and ended before the end are counted (as <c>cohort bench</c> counts). A transfer that reports an abort (or
/// throws) is counted as aborted and the client goes on with its next transfer.
/// </summary>
internal static class ClosedLoop
{
    /// <summary>One transfer by client <c>c</c>, its <c>i</c>-th: true when it committed, false when it aborted.</summary>
    public delegate Task<bool> Transfer(int client, long i);

    public static async Task<LoopResult> RunAsync(string peer, string durability, int clients, TimeSpan warmup, TimeSpan duration, Transfer transfer)
    {
        var latencies = new ConcurrentBag<double>();
        long committed = 0;
        long aborted = 0;
        var clock = Stopwatch.StartNew();
        var stopAt = warmup + duration;
        var errors = 0;
        var tasks = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            for (long i = 0; clock.Elapsed < stopAt; i++)
            {
                var started = clock.Elapsed;
                bool ok;
                try
                {
                    ok = await transfer(c, i).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // a benchmark counts every failure as an abort and goes on
                catch (Exception e)
#pragma warning restore CA1031
                {
                    ok = false;
                    if (Interlocked.Increment(ref errors) <= 3)
                    {
                        await Console.Error.WriteLineAsync($"{peer}: client {c}: {e.GetType().Name}: {e.Message}").ConfigureAwait(false);
                    }
                }

                var ended = clock.Elapsed;
                if (started >= warmup && ended <= stopAt)
                {
                    if (ok)
                    {
                        latencies.Add((ended - started).TotalMilliseconds);
                        Interlocked.Increment(ref committed);
                    }
                    else
                    {
                        Interlocked.Increment(ref aborted);
                    }
                }
            }
        })).ToList();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        var sorted = latencies.ToArray();
        Array.Sort(sorted);
        return new LoopResult(peer, clients, committed / duration.TotalSeconds, Percentile(sorted, 0.50), Percentile(sorted, 0.99), committed, aborted, durability);
    }

    /// <summary>A run's JSON line on stdout; a warm run's (negative count) on stderr, marked as not reported.</summary>
    public static void Report(int count, LoopResult result)
    {
        if (count < 0)
        {
            Console.Error.WriteLine($"warm run (not reported): {result.ToJson()}");
        }
        else
        {
            Console.WriteLine(result.ToJson());
        }
    }

    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];

    /// <summary>"10s", "500ms", "2m" or a number of seconds.</summary>
    public static TimeSpan ParseDuration(string text)
    {
        if (text.EndsWith("ms", StringComparison.Ordinal))
        {
            return TimeSpan.FromMilliseconds(double.Parse(text[..^2], CultureInfo.InvariantCulture));
        }

        if (text.EndsWith('s'))
        {
            return TimeSpan.FromSeconds(double.Parse(text[..^1], CultureInfo.InvariantCulture));
        }

        return text.EndsWith('m')
            ? TimeSpan.FromMinutes(double.Parse(text[..^1], CultureInfo.InvariantCulture))
            : TimeSpan.FromSeconds(double.Parse(text, CultureInfo.InvariantCulture));
    }
}
