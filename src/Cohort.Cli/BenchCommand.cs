using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Cohort.Core;

namespace Cohort.Cli;

/// <summary>
/// <c>cohort bench</c>: a closed-loop load generator. Each client sends one <c>/v1/batch</c> transaction at a time,
/// writing one key in each named resource, and the command reports committed transactions per second and latency
/// percentiles of committed transactions, after a warm-up that is not counted.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var addr = new Option<string>("--addr") { Description = "The master's address (host:port).", DefaultValueFactory = _ => "127.0.0.1:7001" };
        var clients = new Option<int>("--clients") { Description = "Concurrent clients.", DefaultValueFactory = _ => 64 };
        var duration = new Option<string>("--duration") { Description = "Measured time (after warm-up).", DefaultValueFactory = _ => "10s" };
        var warmup = new Option<string>("--warmup") { Description = "Warm-up time, not counted.", DefaultValueFactory = _ => "2s" };
        var resources = new Option<string>("--resources") { Description = "Comma-separated KV resources; each transaction puts one key in each.", DefaultValueFactory = _ => "kv:a,kv:b" };
        var command = new Command("bench", "Load-test a cluster with atomic multi-resource put transactions and report tx/s and latency.")
        {
            addr, clients, duration, warmup, resources,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var names = result.GetValue(resources)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var n = result.GetValue(clients);
            if (n < 1 || names.Length == 0)
            {
                await Console.Error.WriteLineAsync("cohort bench: --clients must be at least 1 and --resources non-empty").ConfigureAwait(false);
                return 2;
            }

            var report = await RunAsync(result.GetValue(addr)!, n, Durations.Parse(result.GetValue(warmup)!), Durations.Parse(result.GetValue(duration)!), names, cancellationToken).ConfigureAwait(false);
            Console.WriteLine(report);
            return 0;
        });
        return command;
    }

    private static async Task<string> RunAsync(string master, int clients, TimeSpan warmup, TimeSpan duration, string[] resources, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients * 2 }) { BaseAddress = new Uri($"http://{master}/"), Timeout = TimeSpan.FromSeconds(60) };
        if (Environment.GetEnvironmentVariable("COHORT_AUTH_TOKEN") is { } token)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        var latencies = new ConcurrentBag<double>();
        var counts = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        var measureFrom = warmup;
        var stopAt = warmup + duration;
        var tasks = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            for (long i = 0; clock.Elapsed < stopAt && !cancellationToken.IsCancellationRequested; i++)
            {
                var ops = resources.Select(r =>
                {
                    var put = Value.Map(("key", $"bench:{c}:{i % 1000}"), ("value", i));
                    return Value.Map(("resource", r), ("op", Value.Map(("put", put))));
                });
                var body = ValueJson.Serialize(Value.Map(("ops", Value.List(System.Collections.Immutable.ImmutableArray.CreateRange(ops)))));
                var started = clock.Elapsed;
                string status;
                try
                {
                    using var content = new StringContent(body, Encoding.UTF8, "application/json");
                    using var response = await http.PostAsync("v1/batch", content, cancellationToken).ConfigureAwait(false);
                    var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                    status = response.IsSuccessStatusCode && ValueJson.Parse(text).TryGetField("status", out var s) ? s.AsString() : $"http-{(int)response.StatusCode}";
                }
                catch (HttpRequestException)
                {
                    status = "error";
                }

                var ended = clock.Elapsed;
                if (started >= measureFrom && ended <= stopAt)
                {
                    counts.AddOrUpdate(status, 1, (_, v) => v + 1);
                    if (status == "committed")
                    {
                        latencies.Add((ended - started).TotalMilliseconds);
                    }
                }
            }
        }, cancellationToken)).ToList();
        await Task.WhenAll(tasks).ConfigureAwait(false);

        var sorted = latencies.Order().ToArray();
        double Percentile(double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
        var committed = counts.GetValueOrDefault("committed");
        var line = new StringBuilder();
        line.AppendLine(CultureInfo.InvariantCulture, $"clients {clients}, resources {string.Join(",", resources)}, measured {duration.TotalSeconds:0.#} s after {warmup.TotalSeconds:0.#} s warm-up");
        line.AppendLine(CultureInfo.InvariantCulture, $"committed {committed} ({committed / duration.TotalSeconds:0} tx/s)  outcomes: {string.Join(", ", counts.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}"))}");
        line.Append(CultureInfo.InvariantCulture, $"latency of committed tx: p50 {Percentile(0.50):0.00} ms, p99 {Percentile(0.99):0.00} ms, max {(sorted.Length > 0 ? sorted[^1] : double.NaN):0.00} ms");
        return line.ToString();
    }
}
