using System.Collections.Immutable;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Cohort.Client;
using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Cli;

/// <summary>
/// <c>cohort demo</c>: starts a fresh local three-node cluster (temp data directory, free ports), commits one
/// transaction across SQL, KV, token and queue resources on three nodes, reads it all back, then runs a transaction
/// that fails midway and shows that none of it is visible; stops the cluster. Exit code 0 when every check held.
/// </summary>
internal static class DemoCommand
{
    private const string Sql = "sql:app";
    private const string Kv = "kv:users";
    private const string Points = "resource:points";
    private const string Events = "queue:events";

    public static Command Create()
    {
        var keep = new Option<bool>("--keep") { Description = "Keep the demo's data directory (node logs included) instead of deleting it." };
        var json = CliOptions.Json("Tell the story on stderr and print one JSON summary (passed, seconds, nodes) on stdout.");
        var command = new Command("demo", "Start a local cluster, run an atomic transaction across SQL, KV, token and queue resources, show a failed one leaves no trace, stop.") { keep, json };
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = new CliOutput("demo", result.GetValue(json));
            var stdout = Console.Out;
            if (output.IsJson)
            {
                // The narrative goes to stderr; stdout holds the one JSON document.
                Console.SetOut(Console.Error);
            }

            try
            {
                return await RunAsync(output, stdout, result.GetValue(keep), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Console.SetOut(stdout);
            }
        });
        return command;
    }

    private static async Task<int> RunAsync(CliOutput output, TextWriter stdout, bool keep, CancellationToken cancellationToken)
    {
        {
            var directory = Path.Combine(Path.GetTempPath(), "cohort-demo-" + Guid.NewGuid().ToString("N")[..8]);
            var clock = Stopwatch.StartNew();
            Console.WriteLine($"Starting a local 3-node cluster on free ports (data in {directory}) …");
            LocalCluster cluster;
            try
            {
                cluster = await LocalCluster.StartAsync(directory, LocalCluster.DefaultLayout(LocalCluster.FreePorts(3)), "300ms", null, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException)
            {
                Console.SetOut(stdout);
                return output.Fail(ExitCodes.Failed, "start_failed", e.Message);
            }

            int code;
            var nodes = Value.List(ImmutableArray.CreateRange(cluster.Nodes.Select(n => Value.Map(
                ("address", n.Address),
                ("master", n.Address == cluster.Master),
                ("resources", Value.List(ImmutableArray.CreateRange(n.Resources.Select(r => Value.From(r)))))))));
            await using (cluster.ConfigureAwait(false))
            {
                foreach (var node in cluster.Nodes)
                {
                    Console.WriteLine($"  {(node.Address == cluster.Master ? "master" : "node  ")} {node.Address} hosts {string.Join(", ", node.Resources)}");
                }

                using var client = new CohortClient(new CohortClientOptions { Addresses = cluster.Addresses });
                code = await CliRun.GuardAsync(output, () => RunStoryAsync(client, cancellationToken)).ConfigureAwait(false);
                Console.WriteLine("Stopping the cluster …");
            }

            if (!keep)
            {
                TryDelete(directory);
            }

            Console.WriteLine(code == ExitCodes.Ok
                ? $"Demo passed in {clock.Elapsed.TotalSeconds:0.0} s: one atomic transaction across 4 engines on 3 nodes, and a failed one left nothing behind."
                : "Demo FAILED (see above).");
            if (output.IsJson)
            {
                stdout.WriteLine(ValueJson.Serialize(Value.Map(
                    ("passed", code == ExitCodes.Ok),
                    ("seconds", Math.Round(clock.Elapsed.TotalSeconds, 1)),
                    ("nodes", nodes),
                    ("data_dir", keep ? directory : Value.Null))));
            }

            return code;
        }
    }

    private static async Task<int> RunStoryAsync(CohortClient client, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        void Check(bool ok, string what)
        {
            Console.WriteLine($"   {(ok ? "ok  " : "FAIL")} {what}");
            if (!ok)
            {
                failures.Add(what);
            }
        }

        Console.WriteLine();
        Console.WriteLine("1. One transaction across four engines on three nodes:");
        await using (var tx = await client.BeginAsync(TimeSpan.FromSeconds(30), "demo: signup alice", cancellationToken).ConfigureAwait(false))
        {
            var sql = tx.Sql(Sql);
            await sql.ExecuteAsync("CREATE TABLE users (id BIGINT PRIMARY KEY, name TEXT NOT NULL, email TEXT)", [], cancellationToken).ConfigureAwait(false);
            await sql.ExecuteAsync("INSERT INTO users VALUES ($1, $2, $3)", [1, "Alice", "alice@example.com"], cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"   {Sql,-16} CREATE TABLE users; INSERT (1, 'Alice', 'alice@example.com')");

            var kv = tx.Kv(Kv);
            await kv.PutAsync("user:alice", Value.Map(("name", "Alice"), ("email", "alice@example.com"), ("plan", "free")), cancellationToken).ConfigureAwait(false);
            await kv.PutAsync("prefs:alice", Value.Map(("theme", "dark"), ("language", "en"), ("newsletter", true)), cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"   {Kv,-16} user:alice = profile, prefs:alice = {{theme: dark, language: en, newsletter: true}}");

            var points = tx.Resource(Points);
            await points.InitializeAsync("PTS", 2, null, cancellationToken).ConfigureAwait(false);
            await points.MintAsync("treasury", 1000m, cancellationToken).ConfigureAwait(false);
            await points.TransferAsync("treasury", "alice", 500m, cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"   {Points,-16} initialize PTS; mint 1000 to treasury; transfer 500 treasury → alice");

            await tx.Queue(Events).EnqueueAsync("welcome", Value.Map(("user", "alice"), ("event", "signup")), cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"   {Events,-16} enqueue welcome {{user: alice, event: signup}}");

            var committed = await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"   committed transaction {committed.TxId}");
        }

        Console.WriteLine();
        Console.WriteLine("2. Reading it all back from one snapshot:");
        var snapshot = client.Snapshot();
        var rows = await snapshot.Sql(Sql).QueryAsync("SELECT id, name, email FROM users ORDER BY id", cancellationToken).ConfigureAwait(false);
        Check(rows.Count == 1 && rows[0]["name"] == "Alice", $"{Sql}: users = {string.Join(", ", rows)}");
        var profile = await snapshot.Kv(Kv).GetAsync("user:alice", cancellationToken).ConfigureAwait(false);
        Check(profile.Kind == ValueKind.Map && profile.AsMap()["name"] == "Alice", $"{Kv}: user:alice = {ValueJson.Serialize(profile)}");
        var prefs = await snapshot.Kv(Kv).GetAsync("prefs:alice", cancellationToken).ConfigureAwait(false);
        Check(prefs.Kind == ValueKind.Map && prefs.AsMap()["theme"] == "dark", $"{Kv}: prefs:alice = {ValueJson.Serialize(prefs)}");
        var alice = await snapshot.Resource(Points).BalanceAsync("alice", cancellationToken).ConfigureAwait(false);
        var treasury = await snapshot.Resource(Points).BalanceAsync("treasury", cancellationToken).ConfigureAwait(false);
        Check(alice == 500m && treasury == 500m, $"{Points}: alice {alice.ToString(CultureInfo.InvariantCulture)} PTS, treasury {treasury.ToString(CultureInfo.InvariantCulture)} PTS");
        var welcome = await snapshot.Queue(Events).PeekAsync("welcome", cancellationToken).ConfigureAwait(false);
        var size = await snapshot.Queue(Events).SizeAsync("welcome", cancellationToken).ConfigureAwait(false);
        Check(size == 1 && welcome.Kind == ValueKind.Map, $"{Events}: welcome has {size} event: {ValueJson.Serialize(welcome)}");

        Console.WriteLine();
        Console.WriteLine("3. A transaction that fails midway (Bob signs up, but the treasury cannot pay him 5000 points):");
        await using (var tx = await client.BeginAsync(TimeSpan.FromSeconds(30), "demo: signup bob", cancellationToken).ConfigureAwait(false))
        {
            await tx.Sql(Sql).ExecuteAsync("INSERT INTO users VALUES ($1, $2, $3)", [2, "Bob", "bob@example.com"], cancellationToken).ConfigureAwait(false);
            await tx.Kv(Kv).PutAsync("user:bob", Value.Map(("name", "Bob")), cancellationToken).ConfigureAwait(false);
            await tx.Queue(Events).EnqueueAsync("welcome", Value.Map(("user", "bob"), ("event", "signup")), cancellationToken).ConfigureAwait(false);
            await tx.Resource(Points).TransferAsync("treasury", "alice", 1m, cancellationToken).ConfigureAwait(false);
            Console.WriteLine("   INSERT Bob; put user:bob; enqueue welcome bob; transfer 1 treasury → alice: done (not committed)");
            try
            {
                await tx.Resource(Points).TransferAsync("treasury", "bob", 5000m, cancellationToken).ConfigureAwait(false);
                Check(false, "transfer 5000 treasury → bob should have failed with insufficient_funds");
            }
            catch (CohortClientException e) when (e.Code == ErrorCodes.InsufficientFunds)
            {
                Console.WriteLine($"   transfer 5000 treasury → bob failed: {e.Code}");
            }

            await tx.AbortAsync(cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"   aborted transaction {tx.Id}");
        }

        Console.WriteLine("   … and the same as a one-shot batch, which aborts as a whole:");
        try
        {
            await client.BatchAsync(
                [
                    CohortOps.Sql(Sql, "INSERT INTO users VALUES ($1, $2, $3)", 3, "Carol", "carol@example.com"),
                    CohortOps.KvPut(Kv, "user:carol", Value.Map(("name", "Carol"))),
                    CohortOps.Transfer(Points, "treasury", "carol", 5000m),
                ],
                null,
                "demo: signup carol",
                cancellationToken).ConfigureAwait(false);
            Check(false, "the batch should have aborted with insufficient_funds");
        }
        catch (CohortAbortedException e)
        {
            Check(e.Code == ErrorCodes.InsufficientFunds, $"batch aborted: {e.Code}");
        }

        Console.WriteLine();
        Console.WriteLine("4. Nothing of the failed transactions is visible:");
        var after = client.Snapshot();
        var names = await after.Sql(Sql).QueryAsync("SELECT name FROM users ORDER BY id", cancellationToken).ConfigureAwait(false);
        Check(names.Count == 1, $"{Sql}: users = [{string.Join(", ", names.Select(r => CliRun.Show(r["name"])))}] (no Bob, no Carol)");
        var bob = await after.Kv(Kv).GetAsync("user:bob", cancellationToken).ConfigureAwait(false);
        var carol = await after.Kv(Kv).GetAsync("user:carol", cancellationToken).ConfigureAwait(false);
        Check(bob.IsNull && carol.IsNull, $"{Kv}: user:bob = {CliRun.Show(bob)}, user:carol = {CliRun.Show(carol)}");
        var aliceAfter = await after.Resource(Points).BalanceAsync("alice", cancellationToken).ConfigureAwait(false);
        var treasuryAfter = await after.Resource(Points).BalanceAsync("treasury", cancellationToken).ConfigureAwait(false);
        var bobPoints = await after.Resource(Points).BalanceAsync("bob", cancellationToken).ConfigureAwait(false);
        Check(aliceAfter == 500m && treasuryAfter == 500m && bobPoints == 0m, $"{Points}: alice {aliceAfter.ToString(CultureInfo.InvariantCulture)}, treasury {treasuryAfter.ToString(CultureInfo.InvariantCulture)}, bob {bobPoints.ToString(CultureInfo.InvariantCulture)} (unchanged)");
        var sizeAfter = await after.Queue(Events).SizeAsync("welcome", cancellationToken).ConfigureAwait(false);
        Check(sizeAfter == 1, $"{Events}: welcome still has {sizeAfter} event");
        var inDoubt = await client.ListTransactionsAsync(TransactionState.InDoubt, cancellationToken).ConfigureAwait(false);
        Check(inDoubt.Count == 0, $"no transaction in doubt ({inDoubt.Count})");

        Console.WriteLine();
        if (failures.Count > 0)
        {
            await Console.Error.WriteLineAsync($"cohort demo: {failures.Count} check(s) failed: {string.Join("; ", failures)}").ConfigureAwait(false);
            return ExitCodes.Failed;
        }

        return ExitCodes.Ok;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
