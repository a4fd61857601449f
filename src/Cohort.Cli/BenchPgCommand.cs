using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Cohort.Core;
using Npgsql;

namespace Cohort.Cli;

/// <summary>
/// <c>cohort bench-pg</c>: two-phase commit across PostgreSQL databases, Cohort against a hand-written baseline in one run.
/// Each transaction inserts one row in each database. The Cohort side sends one <c>/v1/batch</c> per transaction to the
/// master, with one INSERT on each <c>pg:*</c> resource; the baseline is an Npgsql loop doing, on both databases in
/// parallel, BEGIN / INSERT / PREPARE TRANSACTION (one round trip), then COMMIT PREPARED on both. Rounds alternate
/// (Cohort, baseline, …) so both see the same machine; the report gives each round and the medians.
/// With <c>--audited-baseline</c> a third side runs the hand-written loop doing the PostgreSQL work Cohort does: an audit
/// row (payload, status) inserted before PREPARE TRANSACTION, which tells how much of the difference is PostgreSQL's work
/// for the audit table and how much is Cohort's own.
/// </summary>
internal static class BenchPgCommand
{
    private const string Table = "bench_pg_rows";
    private const string AuditTable = "bench_pg_audit";

    public static Command Create()
    {
        var resources = new Option<string>("--resources") { Description = "Comma-separated Cohort pg resources, one per database (e.g. pg:default@127.0.0.1:7001,pg:default@127.0.0.1:7002).", Required = true };
        var dsns = new Option<string[]>("--dsn") { Description = "The same databases' connection strings, in the same order (repeat the option), for the baseline.", Required = true, AllowMultipleArgumentsPerToken = false };
        var clients = CliOptions.Count("--clients", "Concurrent clients.", 32, 1, 10_000);
        var duration = CliOptions.Duration("--duration", "Measured time of each round (after its warm-up).", TimeSpan.FromSeconds(10));
        var warmup = CliOptions.Duration("--warmup", "Warm-up of each round, not counted.", TimeSpan.FromSeconds(2), allowZero: true);
        var rounds = CliOptions.Count("--rounds", "Rounds of each side (alternating).", 3, 1, 1000);
        var audited = new Option<bool>("--audited-baseline") { Description = "Also run the hand-written loop with an audit row per database, as Cohort writes (table bench_pg_audit)." };
        var command = new Command("bench-pg", "Benchmark atomic inserts into two PostgreSQL databases: Cohort vs a hand-written PREPARE TRANSACTION loop.")
        {
            resources, dsns, clients, duration, warmup, rounds, audited,
        };
        var flags = ClientFlags.AddTo(command, "The node to send the Cohort side's batches to (host:port or an http(s) URL; the master saves a hop); with a list, the first.");
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = flags.Output(result, "bench-pg");
            if (await LoadGeneratorProcess.RelaunchWithoutPgoAsync(cancellationToken).ConfigureAwait(false) is { } exitCode)
            {
                return exitCode;
            }

            var names = result.GetValue(resources)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var connections = result.GetValue(dsns) ?? [];
            var n = result.GetValue(clients);
            if (names.Length == 0 || names.Length != connections.Length)
            {
                return output.BadInput("give one --dsn per resource in --resources");
            }

            try
            {
                connections = [.. connections.Select(Cohort.Postgres.PostgresDsn.ToConnectionString)];
            }
            catch (Cohort.Core.CohortException e)
            {
                return output.BadInput(e.Message);
            }

            List<NpgsqlDataSource> sources;
            try
            {
                sources = [.. connections.Select(d => new NpgsqlDataSourceBuilder(d) { ConnectionStringBuilder = { MaxPoolSize = n + 2 } }.Build())];
            }
            catch (ArgumentException e)
            {
                return output.BadInput($"--dsn is not a connection string: {e.Message}");
            }

            var target = new Target(flags.Addresses(result)[0], CliOptions.Token(result.GetValue(flags.Token)), CliOptions.TlsCaOf(result.GetValue(flags.TlsCa)));

            // A node that cannot be reached (or refuses the token or the TLS handshake) is said at once, not after rounds of failures.
            using (var http = flags.Http(result, TimeSpan.FromSeconds(10)))
            {
                var health = await http.SendAsync(target.Address, HttpMethod.Get, "v1/resources", null, cancellationToken).ConfigureAwait(false);
                if (health.Unreachable is not null || health.IsProblem)
                {
                    foreach (var source in sources)
                    {
                        await source.DisposeAsync().ConfigureAwait(false);
                    }

                    return output.Problem(health);
                }
            }

            // Each round's line as it ends (on stderr with --json, whose one document comes at the end).
            void Progress(string line)
            {
                if (output.IsJson)
                {
                    Console.Error.WriteLine(line);
                }
                else
                {
                    Console.WriteLine(line);
                }
            }

            try
            {
                foreach (var source in sources)
                {
                    await using var create = source.CreateCommand($"CREATE TABLE IF NOT EXISTS {Table} (k text PRIMARY KEY, client integer NOT NULL, n bigint NOT NULL)");
                    await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    if (result.GetValue(audited))
                    {
                        // The same shape as Cohort's distributed_tx table.
                        await using var audit = source.CreateCommand(
                            $"CREATE TABLE IF NOT EXISTS {AuditTable} (gid text PRIMARY KEY, tx_id text NOT NULL, resource text NOT NULL, status text NOT NULL, payload jsonb, "
                            + "created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now()); "
                            + $"CREATE INDEX IF NOT EXISTS {AuditTable}_unsettled ON {AuditTable} (resource) WHERE status = 'prepared'");
                        await audit.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }
                }

                var warm = result.GetValue(warmup).Value;
                var measured = result.GetValue(duration).Value;
                var cohort = new List<Round>();
                var baseline = new List<Round>();
                var auditedBaseline = new List<Round>();
                for (var r = 1; r <= result.GetValue(rounds); r++)
                {
                    var c = await RunCohortAsync(target, names, n, warm, measured, cancellationToken).ConfigureAwait(false);
                    Progress($"round {r} cohort:   {c}");
                    cohort.Add(c);
                    var b = await RunBaselineAsync(sources, n, warm, measured, audit: false, cancellationToken).ConfigureAwait(false);
                    Progress($"round {r} baseline: {b}");
                    baseline.Add(b);
                    if (result.GetValue(audited))
                    {
                        var a = await RunBaselineAsync(sources, n, warm, measured, audit: true, cancellationToken).ConfigureAwait(false);
                        Progress($"round {r} baseline+audit: {a}");
                        auditedBaseline.Add(a);
                    }
                }

                var cohortMedian = Median(cohort.Select(x => x.PerSecond));
                var baselineMedian = Median(baseline.Select(x => x.PerSecond));
                var auditedMedian = auditedBaseline.Count > 0 ? Median(auditedBaseline.Select(x => x.PerSecond)) : (double?)null;
                var summary = Value.Map(
                    ("clients", n),
                    ("duration_ms", (long)measured.TotalMilliseconds),
                    ("cohort", Side(cohort)),
                    ("baseline", Side(baseline)),
                    ("baseline_audited", auditedBaseline.Count > 0 ? Side(auditedBaseline) : Value.Null),
                    ("ratio", baselineMedian > 0 ? cohortMedian / baselineMedian : Value.Null));
                output.Result(summary, () =>
                {
                    var text = string.Create(CultureInfo.InvariantCulture,
                        $"median: cohort {cohortMedian:F0} tx/s (p50 {Median(cohort.Select(x => x.P50)):F1} ms, p99 {Median(cohort.Select(x => x.P99)):F1} ms); "
                        + $"baseline {baselineMedian:F0} tx/s (p50 {Median(baseline.Select(x => x.P50)):F1} ms, p99 {Median(baseline.Select(x => x.P99)):F1} ms); "
                        + $"ratio {cohortMedian / baselineMedian:F2}");
                    if (auditedMedian is { } audited)
                    {
                        text += string.Create(CultureInfo.InvariantCulture,
                            $"\nmedian: baseline+audit {audited:F0} tx/s (p50 {Median(auditedBaseline.Select(x => x.P50)):F1} ms); "
                            + $"baseline+audit/baseline {audited / baselineMedian:F2}; cohort/(baseline+audit) {cohortMedian / audited:F2}");
                    }

                    return text;
                });
                return cohort.Sum(x => x.Committed) > 0 ? ExitCodes.Ok : ExitCodes.Failed;
            }
            finally
            {
                foreach (var source in sources)
                {
                    await source.DisposeAsync().ConfigureAwait(false);
                }
            }
        });
        return command;
    }

    // Every round's figures and the medians, as --json gives them.
    private static Value Side(List<Round> rounds) => Value.Map(
        ("rounds", Value.List(ImmutableArray.CreateRange(rounds.Select(r => Value.Map(("per_second", r.PerSecond), ("p50_ms", r.P50), ("p99_ms", r.P99), ("committed", r.Committed), ("failed", r.Failed)))))),
        ("median_per_second", Median(rounds.Select(x => x.PerSecond))),
        ("median_p50_ms", Median(rounds.Select(x => x.P50))),
        ("median_p99_ms", Median(rounds.Select(x => x.P99))));

    private static async Task<Round> RunCohortAsync(Target target, string[] resources, int clients, TimeSpan warmup, TimeSpan duration, CancellationToken cancellationToken)
    {
        var handler = Protocol.TlsTrust.For(target.TlsCa).Apply(new SocketsHttpHandler { MaxConnectionsPerServer = clients * 2 });
        using var http = new HttpClient(handler) { BaseAddress = CliHttp.BaseUri(target.Address, target.TlsCa is not null), Timeout = TimeSpan.FromSeconds(60) };
        if (target.Token is { } token)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        var run = Guid.NewGuid().ToString("N")[..8];
        var reported = 0;
        return await MeasureAsync(clients, warmup, duration, async (client, i) =>
        {
            var key = $"c{run}-{client}-{i}";
            var ops = resources.Select(r => Value.Map(
                ("resource", r),
                ("op", Value.Map(("sql", $"INSERT INTO {Table} (k, client, n) VALUES ($1, $2, $3)"), ("params", Value.List(key, client, i))))));
            var body = ValueJson.Serialize(Value.Map(("ops", Value.List(ImmutableArray.CreateRange(ops)))));
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await http.PostAsync("v1/batch", content, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var committed = response.IsSuccessStatusCode && ValueJson.Parse(text).TryGetField("status", out var s) && s.AsString() == "committed";
            if (!committed && Interlocked.Exchange(ref reported, 1) == 0)
            {
                // A failure should be rare; say what the first one was.
                await Console.Error.WriteLineAsync($"cohort bench-pg: first failed Cohort transaction of the round: {(int)response.StatusCode} {text}").ConfigureAwait(false);
            }

            return committed;
        }, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<Round> RunBaselineAsync(List<NpgsqlDataSource> sources, int clients, TimeSpan warmup, TimeSpan duration, bool audit, CancellationToken cancellationToken)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        return await MeasureAsync(clients, warmup, duration, async (client, i) =>
        {
            var key = $"{(audit ? 'a' : 'b')}{run}-{client}-{i}";
            var gids = sources.Select((_, d) => $"bench:{run}:{client}:{i}:{d}").ToList();
            try
            {
                await Task.WhenAll(sources.Select(async (source, d) =>
                {
                    await using var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                    await using var batch = new NpgsqlBatch(connection);
                    batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
                    var insert = new NpgsqlBatchCommand($"INSERT INTO {Table} (k, client, n) VALUES ($1, $2, $3)");
                    insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
                    insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = client });
                    insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = i });
                    batch.BatchCommands.Add(insert);
                    if (audit)
                    {
                        var row = new NpgsqlBatchCommand($"INSERT INTO {AuditTable} (gid, tx_id, resource, status, payload) VALUES ($1, $2, $3, 'committed', $4)");
                        row.Parameters.Add(new NpgsqlParameter<string> { TypedValue = gids[d] });
                        row.Parameters.Add(new NpgsqlParameter<string> { TypedValue = $"{run}:{client}:{i}" });
                        row.Parameters.Add(new NpgsqlParameter<string> { TypedValue = $"db{d}" });
                        row.Parameters.Add(new NpgsqlParameter<string>
                        {
                            TypedValue = ValueJson.Serialize(Value.List(Value.Map(("sql", $"INSERT INTO {Table} (k, client, n) VALUES ($1, $2, $3)"), ("params", Value.List(key, client, i))))),
                            NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Jsonb,
                        });
                        batch.BatchCommands.Add(row);
                    }

                    batch.BatchCommands.Add(new NpgsqlBatchCommand($"PREPARE TRANSACTION '{gids[d]}'"));
                    await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                })).ConfigureAwait(false);
            }
            catch (NpgsqlException)
            {
                await Task.WhenAll(sources.Select((source, d) => RunAsync(source, $"ROLLBACK PREPARED '{gids[d]}'", ignoreErrors: true, cancellationToken))).ConfigureAwait(false);
                return false;
            }

            await Task.WhenAll(sources.Select((source, d) => RunAsync(source, $"COMMIT PREPARED '{gids[d]}'", ignoreErrors: false, cancellationToken))).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    private static async Task RunAsync(NpgsqlDataSource source, string text, bool ignoreErrors, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = source.CreateCommand(text);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException) when (ignoreErrors)
        {
        }
    }

    // Closed loop: each client runs one transaction at a time; committed ones after the warm-up are counted.
    private static async Task<Round> MeasureAsync(int clients, TimeSpan warmup, TimeSpan duration, Func<int, long, Task<bool>> transaction, CancellationToken cancellationToken)
    {
        var latencies = new ConcurrentBag<double>();
        long failed = 0;
        var clock = Stopwatch.StartNew();
        var stopAt = warmup + duration;
        var tasks = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            for (long i = 0; clock.Elapsed < stopAt && !cancellationToken.IsCancellationRequested; i++)
            {
                var started = clock.Elapsed;
                bool committed;
                try
                {
                    committed = await transaction(c, i).ConfigureAwait(false);
                }
                catch (HttpRequestException)
                {
                    committed = false;
                }

                var ended = clock.Elapsed;
                if (started >= warmup && ended <= stopAt)
                {
                    if (committed)
                    {
                        latencies.Add((ended - started).TotalMilliseconds);
                    }
                    else
                    {
                        Interlocked.Increment(ref failed);
                    }
                }
            }
        }, cancellationToken)).ToList();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        var sorted = latencies.Order().ToArray();
        return new Round(
            sorted.Length / duration.TotalSeconds,
            sorted.Length == 0 ? 0 : sorted[sorted.Length / 2],
            sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * 0.99))],
            Interlocked.Read(ref failed),
            sorted.Length);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    // Where the Cohort side sends its batches.
    private sealed record Target(string Address, string? Token, string? TlsCa);

    private readonly record struct Round(double PerSecond, double P50, double P99, long Failed, long Committed = 0)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{PerSecond:F0} tx/s, p50 {P50:F1} ms, p99 {P99:F1} ms, {Failed} failed");
    }
}
