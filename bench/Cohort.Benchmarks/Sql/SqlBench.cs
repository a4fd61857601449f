using System.Globalization;
using Cohort.Core;
using Cohort.Engines;
using Cohort.Storage.Wal;
using Microsoft.Data.Sqlite;

namespace Cohort.Benchmarks.Sql;

/// <summary>
/// What the SQL benchmarks share: the table (<c>bench(id BIGINT PRIMARY KEY, k INTEGER NOT NULL, v TEXT NOT
/// NULL)</c> with an index on <c>k</c>, <c>k = id</c>), loading it into Cohort and into SQLite the same way,
/// and running a statement through Cohort in its own transaction. Data directories go under the system
/// temp folder, which must be a real disk for the durable benchmarks (it is on the reference machine:
/// <c>df /tmp</c> shows the root block device, not tmpfs).
/// </summary>
internal static class SqlBench
{
    /// <summary>Rows in the read benchmarks' table.</summary>
    public const int Rows = 10_000;

    private const int RowsPerInsert = 500;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    public const string CreateTable = "CREATE TABLE bench (id BIGINT PRIMARY KEY, k INTEGER NOT NULL, v TEXT NOT NULL)";
    public const string CreateIndex = "CREATE INDEX bench_k ON bench (k)";

    public static string NewDirectory(string purpose)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"cohort-sqlbench-{purpose}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        return directory;
    }

    public static IEmbeddedEngine OpenCohort(string directory) =>
        EngineFactory.Open("sql:bench", new EngineOptions { DataDirectory = Path.Combine(directory, "cohort"), Durability = DurabilityMode.Fsync });

    /// <summary>A SQLite connection to <c>sqlite.db</c> in <paramref name="directory"/>: WAL, synchronous=FULL, a 30 s busy timeout.</summary>
    public static SqliteConnection OpenSqlite(string directory)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(directory, "sqlite.db"),
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        connection.Open();
        Execute(connection, "PRAGMA journal_mode=WAL");
        Execute(connection, "PRAGMA synchronous=FULL");
        Execute(connection, "PRAGMA busy_timeout=30000");
        return connection;
    }

    public static Operation Sql(string sql, params Value[] parameters) =>
        Operation.Create("sql", ("sql", Value.From(sql)), ("params", Value.List(parameters)));

    /// <summary>Runs one operation in its own read-write transaction, committed in one phase (durable when this returns).</summary>
    public static async Task<Value> ExecuteAsync(IEmbeddedEngine engine, Operation operation)
    {
        var tx = new TransactionContext(TxId.NewId(), DateTimeOffset.UtcNow + Deadline);
        try
        {
            var result = await engine.ApplyAsync(tx, operation, CancellationToken.None).ConfigureAwait(false);
            await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), CancellationToken.None).ConfigureAwait(false);
            return result;
        }
        catch
        {
            await engine.AbortAsync(tx.Id, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Creates and fills the table in Cohort: <see cref="Rows"/> rows in multi-row INSERTs of 500.</summary>
    public static async Task LoadCohortAsync(IEmbeddedEngine engine)
    {
        await ExecuteAsync(engine, Sql(CreateTable)).ConfigureAwait(false);
        await ExecuteAsync(engine, Sql(CreateIndex)).ConfigureAwait(false);
        foreach (var statement in Inserts())
        {
            await ExecuteAsync(engine, Sql(statement)).ConfigureAwait(false);
        }
    }

    /// <summary>The same table and rows in SQLite, one transaction per INSERT as in Cohort.</summary>
    public static void LoadSqlite(SqliteConnection connection)
    {
        Execute(connection, CreateTable);
        Execute(connection, CreateIndex);
        foreach (var statement in Inserts())
        {
            Execute(connection, statement);
        }
    }

    public static string Payload(long id) => "value-" + id.ToString("D10", CultureInfo.InvariantCulture);

    /// <summary>The number of rows in a Cohort result, for the setup's sanity checks.</summary>
    public static int RowCount(Value result) =>
        result.TryGetField("rows", out var rows) ? rows.AsList().Length : throw new InvalidOperationException($"not a query result: {result}");

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static IEnumerable<string> Inserts()
    {
        for (var start = 1; start <= Rows; start += RowsPerInsert)
        {
            var values = Enumerable.Range(start, Math.Min(RowsPerInsert, Rows - start + 1))
                .Select(id => $"({id}, {id}, '{Payload(id)}')");
            yield return "INSERT INTO bench (id, k, v) VALUES " + string.Join(", ", values);
        }
    }
}
