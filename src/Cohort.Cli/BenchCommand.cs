using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Cohort.Core;

namespace Cohort.Cli;

/// <summary>
/// <c>cohort bench</c>: a closed-loop load generator. Each client runs one transaction at a time and the command reports
/// committed transactions per second, latency percentiles of committed transactions and the abort rate, after a warm-up
/// that is not counted. Workloads: <c>put</c> (the default, and the one docs/performance.md measures: one <c>/v1/batch</c>
/// writing one key in each named resource), <c>interactive</c> (the same writes through <c>/v1/tx</c>: begin, one
/// operation per resource, commit), <c>transfer</c> (a token transfer between two of the client's accounts in each named
/// <c>resource:</c> resource, which it initializes and funds first). Requests go over plain HTTP, without the client
/// library's retries, so every answer is counted as it came.
/// </summary>
internal static class BenchCommand
{
    private const int KeysPerClient = 1000;
    private const int AccountsPerClient = 8;

    private static readonly string[] Workloads = ["put", "interactive", "transfer"];

    public static Command Create()
    {
        var clients = CliOptions.Count("--clients", "Concurrent clients.", 64, 1, 10_000);
        var duration = CliOptions.Duration("--duration", "Measured time (after warm-up).", TimeSpan.FromSeconds(10));
        var warmup = CliOptions.Duration("--warmup", "Warm-up time, not counted.", TimeSpan.FromSeconds(2), allowZero: true);
        var resources = new Option<string>("--resources") { Description = "Comma-separated resources; each transaction touches each once (KV resources for put/interactive, resource: ones for transfer).", DefaultValueFactory = _ => "kv:a,kv:b" };
        var workload = CliOptions.OneOf(
            new Option<string>("--workload") { Description = "put (one /v1/batch of puts), interactive (/v1/tx begin, puts, commit) or transfer (token transfers).", DefaultValueFactory = _ => "put" },
            Workloads);
        var quiet = new Option<bool>("--quiet") { Description = "No live progress on stderr." };
        var command = new Command("bench", "Load-test a cluster with atomic multi-resource transactions and report tx/s, p50/p95/p99 latency and abort rate. An error no retry can fix (unknown resource, bad operation, missing token) stops the run at once.")
        {
            clients, duration, warmup, resources, workload, quiet,
        };
        var flags = ClientFlags.AddTo(command, "The node to send to (host:port or http://host:port); a non-master forwards. Of a comma-separated list, the first.");
        command.SetAction(async (result, cancellationToken) =>
        {
            if (await LoadGeneratorProcess.RelaunchWithoutPgoAsync(cancellationToken).ConfigureAwait(false) is { } exitCode)
            {
                return exitCode;
            }

            var output = flags.Output(result, "bench");
            var names = result.GetValue(resources)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var n = result.GetValue(clients);
            var kind = result.GetValue(workload)!;
            if (names.Length == 0)
            {
                return output.BadInput("--resources names no resource");
            }

            if (kind == "transfer" && names.Any(r => !r.StartsWith("resource:", StringComparison.Ordinal)))
            {
                return output.BadInput("--workload transfer needs resource:… resources");
            }

            var settings = new Settings(flags.Addresses(result)[0], n, result.GetValue(warmup).Value, result.GetValue(duration).Value, names, kind, CliOptions.Token(result.GetValue(flags.Token)), !result.GetValue(quiet), CliOptions.TlsCaOf(result.GetValue(flags.TlsCa)));
            Report report;
            try
            {
                report = await RunAsync(settings, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                return output.Unreachable($"node {settings.Address} is unreachable: {e.Message}");
            }
            catch (BenchStoppedException e)
            {
                // 400 and 404 mean the command line named something wrong (an unknown resource, an operation it does not take).
                return output.Fail(e.Status is 400 or 404 ? ExitCodes.BadInput : ExitCodes.Failed, e.Code, e.Message);
            }
            catch (CohortException e)
            {
                return output.Fail(ExitCodes.Failed, e.Code, $"setting up the {kind} workload failed: {e.Message}");
            }

            output.Result(report.ToValue(), report.ToText);
            return report.Committed > 0 ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }

    private static async Task<Report> RunAsync(Settings s, CancellationToken cancellationToken)
    {
        var handler = Protocol.TlsTrust.For(s.TlsCa).Apply(new SocketsHttpHandler { MaxConnectionsPerServer = s.Clients * 2 });
        using var http = new HttpClient(handler) { BaseAddress = CliHttp.BaseUri(s.Address, s.TlsCa is not null), Timeout = TimeSpan.FromSeconds(60) };
        if (s.Token is { } token)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (s.Workload == "transfer")
        {
            await SetUpTransfersAsync(http, s, cancellationToken).ConfigureAwait(false);
        }

        var latencies = new ConcurrentBag<double>();
        var counts = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        long finished = 0;
        long aborted = 0;
        var clock = Stopwatch.StartNew();
        var stopAt = s.Warmup + s.Duration;

        // The first answer no retry can change (unknown resource, bad operation, unauthorized) stops every client.
        using var stopRun = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var run = stopRun.Token;
        BenchStoppedException? stopped = null;
        using var progress = s.Progress ? StartProgress(clock, s, () => Interlocked.Read(ref finished), () => Interlocked.Read(ref aborted), run) : null;
        var tasks = Enumerable.Range(0, s.Clients).Select(c => Task.Run(
            async () =>
            {
                for (long i = 0; clock.Elapsed < stopAt && !run.IsCancellationRequested; i++)
                {
                    var started = clock.Elapsed;
                    string status;
                    try
                    {
                        status = s.Workload == "interactive"
                            ? await InteractiveAsync(http, s, c, i, run).ConfigureAwait(false)
                            : await BatchAsync(http, BatchBody(s, c, i), run).ConfigureAwait(false);
                    }
                    catch (HttpRequestException)
                    {
                        status = "error";
                    }
                    catch (BenchStoppedException e)
                    {
                        Interlocked.CompareExchange(ref stopped, e.After(clock.Elapsed), null);
                        await stopRun.CancelAsync().ConfigureAwait(false);
                        break;
                    }
                    catch (OperationCanceledException) when (stopRun.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                    {
                        break;
                    }

                    var ended = clock.Elapsed;
                    if (started >= s.Warmup && ended <= stopAt)
                    {
                        counts.AddOrUpdate(status, 1, (_, v) => v + 1);
                        if (status == "committed")
                        {
                            latencies.Add((ended - started).TotalMilliseconds);
                            Interlocked.Increment(ref finished);
                        }
                        else
                        {
                            Interlocked.Increment(ref aborted);
                        }
                    }
                }
            },
            CancellationToken.None)).ToList();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        if (Volatile.Read(ref stopped) is { } stop)
        {
            throw stop;
        }

        return new Report(s, latencies.Order().ToArray(), counts.ToImmutableSortedDictionary(StringComparer.Ordinal));
    }

    private static Value BatchBody(Settings s, int client, long i)
    {
        var ops = s.Resources.Select(r => Value.Map(("resource", r), ("op", Operation(s, r, client, i))));
        return Value.Map(("ops", Value.List(ImmutableArray.CreateRange(ops))));
    }

    private static Value Operation(Settings s, string resource, int client, long i)
    {
        if (s.Workload == "transfer")
        {
            var from = $"bench:{client}:{i % AccountsPerClient}";
            var to = $"bench:{client}:{(i + 1) % AccountsPerClient}";
            return Value.Map(("transfer", Value.Map(("from", from), ("to", to), ("amount", "1"))));
        }

        return Value.Map(("put", Value.Map(("key", $"bench:{client}:{i % KeysPerClient}"), ("value", i))));
    }

    private static async Task<string> BatchAsync(HttpClient http, Value body, CancellationToken cancellationToken)
    {
        using var content = new StringContent(ValueJson.Serialize(body), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("v1/batch", content, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode && ValueJson.Parse(text).TryGetField("status", out var st))
        {
            return st.AsString();
        }

        BenchStoppedException.ThrowIfFinal((int)response.StatusCode, Parse(text));
        return $"http-{(int)response.StatusCode}";
    }

    private static async Task<string> InteractiveAsync(HttpClient http, Settings s, int client, long i, CancellationToken cancellationToken)
    {
        var (status, begin) = await PostAsync(http, "v1/tx", Value.Map(("label", "bench")), cancellationToken).ConfigureAwait(false);
        if (status != 201 || !begin.TryGetField("tx_id", out var id))
        {
            BenchStoppedException.ThrowIfFinal(status, begin);
            return $"http-{status}";
        }

        foreach (var resource in s.Resources)
        {
            var (opStatus, problem) = await PostAsync(http, $"v1/tx/{id.AsString()}/ops", Value.Map(("resource", resource), ("op", Operation(s, resource, client, i))), cancellationToken).ConfigureAwait(false);
            if (opStatus != 200)
            {
                await PostAsync(http, $"v1/tx/{id.AsString()}/abort", null, cancellationToken).ConfigureAwait(false);
                BenchStoppedException.ThrowIfFinal(opStatus, problem);
                return $"http-{opStatus}";
            }
        }

        var (commitStatus, outcome) = await PostAsync(http, $"v1/tx/{id.AsString()}/commit", null, cancellationToken).ConfigureAwait(false);
        return commitStatus == 200 && outcome.TryGetField("status", out var st) ? st.AsString() : $"http-{commitStatus}";
    }

    private static async Task<(int Status, Value Body)> PostAsync(HttpClient http, string path, Value? body, CancellationToken cancellationToken)
    {
        using var content = body is { } b ? new StringContent(ValueJson.Serialize(b), Encoding.UTF8, "application/json") : null;
        using var response = await http.PostAsync(path, content, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return ((int)response.StatusCode, Parse(text));
    }

    private static Value Parse(string text)
    {
        try
        {
            return text.Length == 0 ? Value.Null : ValueJson.Parse(text);
        }
        catch (CohortException)
        {
            return Value.Null;
        }
    }

    // Each transfer resource gets a symbol (if it has none yet) and every client's accounts enough to never run dry.
    private static async Task SetUpTransfersAsync(HttpClient http, Settings s, CancellationToken cancellationToken)
    {
        static Value One(string resource, Value op) => Value.Map(("ops", Value.List(Value.Map(("resource", resource), ("op", op)))));

        foreach (var resource in s.Resources)
        {
            var (readStatus, metadata) = await PostAsync(http, "v1/read", One(resource, Value.Map(("metadata", Value.Map()))), cancellationToken).ConfigureAwait(false);
            if (readStatus is 401 or 403 or 404)
            {
                BenchStoppedException.ThrowIfFinal(readStatus, metadata);
            }

            if (!metadata.TryGetField("results", out _))
            {
                var initialize = Value.Map(("initialize", Value.Map(("symbol", "BNCH"), ("decimals", 0))));
                await BatchAsync(http, One(resource, initialize), cancellationToken).ConfigureAwait(false);
            }

            for (var c = 0; c < s.Clients; c++)
            {
                var mints = ImmutableArray.CreateBuilder<Value>();
                for (var a = 0; a < AccountsPerClient; a++)
                {
                    var mint = Value.Map(("mint", Value.Map(("to", $"bench:{c}:{a}"), ("amount", "1000000"))));
                    mints.Add(Value.Map(("resource", resource), ("op", mint)));
                }

                var status = await BatchAsync(http, Value.Map(("ops", Value.List(mints.ToImmutable()))), cancellationToken).ConfigureAwait(false);
                if (status != "committed")
                {
                    throw new CohortException("bench_setup", $"funding the accounts of {resource} answered {status}", isTransient: false);
                }
            }
        }
    }

    private static Timer StartProgress(Stopwatch clock, Settings s, Func<long> committed, Func<long> aborted, CancellationToken cancellationToken)
    {
        long last = 0;
        var interactive = !Console.IsErrorRedirected;
        return new Timer(
            _ =>
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    return;
                }

                var now = committed();
                var elapsed = clock.Elapsed;
                var phase = elapsed < s.Warmup ? "warm-up" : "measuring";
                var line = string.Create(CultureInfo.InvariantCulture, $"{elapsed.TotalSeconds,5:0}s {phase}: {now - last} tx/s, committed {now}, not committed {aborted()}");
                last = now;
                Console.Error.Write(interactive ? "\r" + line.PadRight(72) : line + "\n");
            },
            null,
            TimeSpan.FromSeconds(1),
            TimeSpan.FromSeconds(1));
    }

    private sealed record Settings(string Address, int Clients, TimeSpan Warmup, TimeSpan Duration, string[] Resources, string Workload, string? Token, bool Progress, string? TlsCa = null);

    private sealed record Report(Settings Settings, double[] Latencies, ImmutableSortedDictionary<string, long> Outcomes)
    {
        public long Committed => Outcomes.GetValueOrDefault("committed");

        public long Total => Outcomes.Values.Sum();

        public double TxPerSecond => Committed / Settings.Duration.TotalSeconds;

        public double AbortRate => Total == 0 ? 0 : (double)(Total - Committed) / Total;

        public double Percentile(double p) => Latencies.Length == 0 ? double.NaN : Latencies[Math.Min(Latencies.Length - 1, (int)Math.Ceiling(p * Latencies.Length) - 1)];

        public double Max => Latencies.Length > 0 ? Latencies[^1] : double.NaN;

        public string ToText()
        {
            var s = Settings;
            var text = new StringBuilder();
            if (s.Progress && !Console.IsErrorRedirected)
            {
                Console.Error.WriteLine();
            }

            text.AppendLine(CultureInfo.InvariantCulture, $"clients {s.Clients}, resources {string.Join(",", s.Resources)}, workload {s.Workload}, measured {s.Duration.TotalSeconds:0.#} s after {s.Warmup.TotalSeconds:0.#} s warm-up");
            text.AppendLine(CultureInfo.InvariantCulture, $"committed {Committed} ({TxPerSecond:0} tx/s)  outcomes: {string.Join(", ", Outcomes.Select(k => $"{k.Key} {k.Value}"))}  abort rate {AbortRate:0.00%}");
            text.Append(CultureInfo.InvariantCulture, $"latency of committed tx: p50 {Percentile(0.50):0.00} ms, p95 {Percentile(0.95):0.00} ms, p99 {Percentile(0.99):0.00} ms, max {Max:0.00} ms");
            return text.ToString();
        }

        public Value ToValue() => Value.Map(
            ("clients", Settings.Clients),
            ("resources", Value.List(ImmutableArray.CreateRange(Settings.Resources.Select(Value.From)))),
            ("workload", Settings.Workload),
            ("warmup_s", Settings.Warmup.TotalSeconds),
            ("duration_s", Settings.Duration.TotalSeconds),
            ("committed", Committed),
            ("tx_per_s", Math.Round(TxPerSecond, 1)),
            ("abort_rate", Math.Round(AbortRate, 6)),
            ("outcomes", Value.Map(Outcomes.Select(o => new KeyValuePair<string, Value>(o.Key, o.Value)))),
            ("latency_ms", Value.Map(
                ("p50", Finite(Percentile(0.50))),
                ("p95", Finite(Percentile(0.95))),
                ("p99", Finite(Percentile(0.99))),
                ("max", Finite(Max)))));

        private static Value Finite(double value) => double.IsFinite(value) ? Math.Round(value, 3) : Value.Null;
    }
}
