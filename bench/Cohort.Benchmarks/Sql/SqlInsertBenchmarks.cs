using BenchmarkDotNet.Attributes;
using Cohort.Core;
using Cohort.Engines;
using Microsoft.Data.Sqlite;

namespace Cohort.Benchmarks.Sql;

/// <summary>
/// Durable single-row INSERT transactions at <see cref="Writers"/> concurrent closed-loop writers, each
/// inserting <see cref="PerWriter"/> rows with fresh primary keys, one transaction per row:
/// <list type="bullet">
/// <item><c>Sqlite</c> (baseline): one connection per writer on one file database with
/// <c>journal_mode=WAL, synchronous=FULL</c> and a 30 s busy timeout, each INSERT an autocommit transaction
/// (SQLite runs one writer at a time; the others wait on the busy handler), on a dedicated thread per writer
/// since its API blocks.</item>
/// <item><c>Cohort</c>: the SQL engine with fsync durability, apply then one-phase commit; durable when the
/// commit returns.</item>
/// </list>
/// Times are per transaction. Both data directories are under the temp folder, on disk.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(WalAppendConfig))]
public class SqlInsertBenchmarks
{
    /// <summary>Transactions per writer per invocation.</summary>
    public const int PerWriter = 32;

    /// <summary>Concurrent writers (a constant so that <c>OperationsPerInvoke</c> can use it).</summary>
    public const int WriterCount = 64;

    private const string CreateTable = "CREATE TABLE ins (id BIGINT PRIMARY KEY, writer INTEGER NOT NULL, v TEXT NOT NULL)";
    private const string Insert = "INSERT INTO ins (id, writer, v) VALUES ($1, $2, $3)";

    private string _directory = "";
    private IEmbeddedEngine? _cohort;
    private SqliteConnection[] _connections = [];
    private SqliteCommand[] _inserts = [];
    private int _iteration;
    private long[][] _ids = [];
    private string[][] _payloads = [];
    private Operation[][] _operations = [];

    [Params(WriterCount)]
    public int Writers { get; set; }

    private int Total => Writers * PerWriter;

    // Synchronous on purpose (see EngineWorkloadBenchmarks): the tables must exist before the first case runs.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _directory = SqlBench.NewDirectory("insert");
        _connections = new SqliteConnection[Writers];
        _inserts = new SqliteCommand[Writers];
        for (var writer = 0; writer < Writers; writer++)
        {
            var connection = SqlBench.OpenSqlite(_directory);
            if (writer == 0)
            {
                SqlBench.Execute(connection, CreateTable);
            }

            var insert = connection.CreateCommand();
            insert.CommandText = Insert;
            insert.Parameters.Add("$1", SqliteType.Integer);
            insert.Parameters.Add("$2", SqliteType.Integer);
            insert.Parameters.Add("$3", SqliteType.Text);
            _connections[writer] = connection;
            _inserts[writer] = insert;
        }

        _cohort = SqlBench.OpenCohort(_directory);
        await SqlBench.ExecuteAsync(_cohort, SqlBench.Sql(CreateTable)).ConfigureAwait(false);
        _iteration = 0;
    }

    /// <summary>Fresh ids (<c>iteration * Total + writer * PerWriter + i</c>), payloads and Cohort's operations for the next invocation, outside the measurement.</summary>
    [IterationSetup]
    public void BuildIteration()
    {
        var iteration = _iteration++;
        _ids = new long[Writers][];
        _payloads = new string[Writers][];
        _operations = new Operation[Writers][];
        for (var writer = 0; writer < Writers; writer++)
        {
            _ids[writer] = new long[PerWriter];
            _payloads[writer] = new string[PerWriter];
            _operations[writer] = new Operation[PerWriter];
            for (var i = 0; i < PerWriter; i++)
            {
                var id = ((long)iteration * Total) + (writer * PerWriter) + i + 1;
                _ids[writer][i] = id;
                _payloads[writer][i] = SqlBench.Payload(id);
                _operations[writer][i] = SqlBench.Sql(Insert, id, writer, _payloads[writer][i]);
            }
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_cohort is not null)
        {
            var rows = await _cohort.ReadAsync(_cohort.Clock.Now(), SqlBench.Sql("SELECT COUNT(*) FROM ins"), CancellationToken.None).ConfigureAwait(false);
            Console.WriteLine($"// Cohort: {rows}; {_cohort.ActiveTransactionCount} transactions left open");
            await _cohort.DisposeAsync().ConfigureAwait(false);
        }

        if (_connections.Length > 0)
        {
            using var count = _connections[0].CreateCommand();
            count.CommandText = "SELECT COUNT(*) FROM ins";
            Console.WriteLine($"// SQLite: {count.ExecuteScalar()} rows");
        }

        foreach (var insert in _inserts)
        {
            insert.Dispose();
        }

        foreach (var connection in _connections)
        {
            connection.Dispose();
        }

        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = PerWriter * WriterCount)]
    public Task Sqlite()
    {
        var tasks = new Task[Writers];
        for (var i = 0; i < tasks.Length; i++)
        {
            var writer = i;
            tasks[i] = Task.Factory.StartNew(() => SqliteWriter(writer), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        return Task.WhenAll(tasks);
    }

    [Benchmark(OperationsPerInvoke = PerWriter * WriterCount)]
    public Task Cohort()
    {
        var tasks = new Task[Writers];
        for (var i = 0; i < tasks.Length; i++)
        {
            var writer = i;
            tasks[i] = Task.Run(() => CohortWriterAsync(writer));
        }

        return Task.WhenAll(tasks);
    }

    private void SqliteWriter(int writer)
    {
        var insert = _inserts[writer];
        for (var i = 0; i < PerWriter; i++)
        {
            insert.Parameters[0].Value = _ids[writer][i];
            insert.Parameters[1].Value = writer;
            insert.Parameters[2].Value = _payloads[writer][i];
            insert.ExecuteNonQuery();
        }
    }

    private async Task CohortWriterAsync(int writer)
    {
        var engine = _cohort!;
        foreach (var operation in _operations[writer])
        {
            await SqlBench.ExecuteAsync(engine, operation).ConfigureAwait(false);
        }
    }
}
