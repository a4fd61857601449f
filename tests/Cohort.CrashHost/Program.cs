using System.Globalization;
using Cohort.Core;
using Cohort.Engines;
using Cohort.Postgres;

namespace Cohort.CrashHost;

/// <summary>
/// A child process for crash tests: it drives an engine and reports progress on stdout, one line per
/// durable event, so a test can kill it (SIGKILL) at a known point and check what survives a restart.
/// </summary>
/// <remarks>
/// <c>&lt;dir&gt;</c> is the engine's data directory; for a PostgreSQL resource (<c>pg:*</c>) it is the connection string.
/// Commands:
/// <c>writers &lt;dir&gt; &lt;resource&gt; &lt;writers&gt; &lt;keysPerTx&gt;</c> — concurrent writers commit transactions
/// forever; each writes keys <c>w{i}:{n}:{k}</c> = n and prints <c>ACK i n</c> after commit returns.
/// <c>two-phase-writers</c> — the same through prepare and phase-two commit: prints <c>PREPARED i n txid</c> after the Yes
/// vote and <c>ACK i n txid</c> once the commit is acknowledged (when a coordinator may forget its decision).
/// <c>prepare &lt;dir&gt; &lt;resource&gt; &lt;opsJson&gt;</c> — applies the operations (a JSON array of operations) in one
/// transaction, prepares it and prints <c>PREPARED txid</c>, then waits to be killed. <c>prepare-keeping-reads</c> does the
/// same with <c>KeepReadLocks</c> (a read-only transaction keeping its read locks prints <c>PREPARED</c> too).
/// <c>sql-commit-loop &lt;dir&gt; &lt;resource&gt; [iterations]</c> — for i = 0, 1, … (at most <c>iterations</c>, default
/// 10,000) commits one-phase a transaction that creates table <c>t{i}</c>, its index <c>t{i}_k</c> and rows
/// (1, 'a{i}'), (2, 'b{i}'), and prints <c>ACK i</c> after the commit returned.
/// </remarks>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length < 3)
        {
            await Console.Error.WriteLineAsync("usage: Cohort.CrashHost writers|prepare|sql-commit-loop <dir> <resource> ...");
            return 2;
        }

        await using var engine = args[2].StartsWith("pg:", StringComparison.Ordinal)
            ? await PostgresEngine.OpenAsync(args[2], new PostgresOptions { ConnectionString = args[1], RecoveryInterval = Timeout.InfiniteTimeSpan })
            : (ITransactionalEngine)EngineFactory.Open(args[2], new EngineOptions { DataDirectory = args[1] });
        Console.Out.Flush();
        switch (args[0])
        {
            case "writers":
            case "two-phase-writers":
                await RunWritersAsync(engine, int.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture), twoPhase: args[0] == "two-phase-writers");
                return 0;
            case "prepare":
            case "prepare-keeping-reads":
                await PrepareAsync(engine, args[3], keepReadLocks: args[0] == "prepare-keeping-reads");
                return 0;
            case "sql-commit-loop":
                await RunSqlCommitLoopAsync(engine, args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 10_000);
                return 0;
            default:
                await Console.Error.WriteLineAsync($"unknown command {args[0]}");
                return 2;
        }
    }

    private static async Task RunWritersAsync(ITransactionalEngine engine, int writers, int keysPerTx, bool twoPhase)
    {
        var output = new Lock();
        Console.WriteLine("READY");
        var tasks = Enumerable.Range(0, writers).Select(i => Task.Run(async () =>
        {
            for (long n = 0; ; n++)
            {
                var tx = new TransactionContext(TxId.NewId(), DateTimeOffset.UtcNow.AddSeconds(30));
                for (var k = 0; k < keysPerTx; k++)
                {
                    await engine.ApplyAsync(tx, Operation.Create("put", ("key", $"w{i}:{n}:{k}"), ("value", n)), CancellationToken.None);
                }

                if (!twoPhase)
                {
                    await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), CancellationToken.None);
                    lock (output)
                    {
                        Console.WriteLine($"ACK {i} {n}");
                    }

                    continue;
                }

                var vote = await engine.PrepareAsync(tx.Id, new PrepareInfo("crash-test"), CancellationToken.None);
                if (vote.Kind != VoteKind.Yes)
                {
                    throw new InvalidOperationException($"transaction {n} of writer {i} voted {vote}");
                }

                lock (output)
                {
                    Console.WriteLine($"PREPARED {i} {n} {tx.Id}");
                }

                await engine.CommitAsync(tx.Id, vote.PrepareTimestamp, CancellationToken.None);
                lock (output)
                {
                    Console.WriteLine($"ACK {i} {n} {tx.Id}");
                }
            }
        }));
        await Task.WhenAll(tasks);
    }

    private static async Task PrepareAsync(ITransactionalEngine engine, string opsJson, bool keepReadLocks)
    {
        var tx = new TransactionContext(TxId.NewId(), DateTimeOffset.UtcNow.AddMinutes(10));
        foreach (var op in ValueJson.Parse(opsJson).AsList())
        {
            await engine.ApplyAsync(tx, Operation.FromValue(op), CancellationToken.None);
        }

        var vote = await engine.PrepareAsync(tx.Id, new PrepareInfo("test-coordinator", keepReadLocks), CancellationToken.None);
        Console.WriteLine(vote.Kind == VoteKind.Yes || vote.HoldsLocks ? $"PREPARED {tx.Id}" : $"VOTE {vote}");
        await Task.Delay(Timeout.Infinite);
    }

    private static async Task RunSqlCommitLoopAsync(ITransactionalEngine engine, int iterations)
    {
        static Operation Sql(string text) => Operation.Create("sql", ("sql", text));

        Console.WriteLine("READY");
        Console.Out.Flush();
        for (var i = 0; i < iterations; i++)
        {
            var tx = new TransactionContext(TxId.NewId(), DateTimeOffset.UtcNow.AddSeconds(30));
            await engine.ApplyAsync(tx, Sql($"CREATE TABLE t{i} (id BIGINT PRIMARY KEY, k TEXT)"), CancellationToken.None);
            await engine.ApplyAsync(tx, Sql($"CREATE INDEX t{i}_k ON t{i} (k)"), CancellationToken.None);
            await engine.ApplyAsync(tx, Sql($"INSERT INTO t{i} VALUES (1, 'a{i}'), (2, 'b{i}')"), CancellationToken.None);
            await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), CancellationToken.None);
            Console.WriteLine($"ACK {i}");
            Console.Out.Flush();
        }

        Console.WriteLine("DONE");
        Console.Out.Flush();
    }
}
