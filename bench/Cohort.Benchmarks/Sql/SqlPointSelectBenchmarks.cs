using BenchmarkDotNet.Attributes;
using Cohort.Core;
using Cohort.Engines;
using Microsoft.Data.Sqlite;

namespace Cohort.Benchmarks.Sql;

/// <summary>
/// Point SELECT by primary key (<c>SELECT v FROM bench WHERE id = $1</c>) over <see cref="SqlBench.Rows"/>
/// rows, one caller, against SQLite on a file database with a prepared command (the baseline). Cohort runs
/// it as a lock-free snapshot read and as a read-write transaction (apply, then one-phase commit).
/// Times are per query; ids follow a fixed pseudo-random sequence, the same for every case.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(SqlReadConfig))]
public class SqlPointSelectBenchmarks
{
    /// <summary>Queries per invocation.</summary>
    public const int Batch = 256;

    private const string Query = "SELECT v FROM bench WHERE id = $1";
    private const int Sequence = 8192;

    private string _directory = "";
    private IEmbeddedEngine? _cohort;
    private SqliteConnection? _sqlite;
    private SqliteCommand? _select;
    private SqliteParameter? _id;
    private long[] _ids = [];
    private Operation[] _operations = [];
    private int _next;

    // Synchronous on purpose (see EngineWorkloadBenchmarks): the data must be loaded before the first case runs.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _directory = SqlBench.NewDirectory("point");
        var random = new Random(17);
        _ids = [.. Enumerable.Range(0, Sequence).Select(_ => (long)random.Next(1, SqlBench.Rows + 1))];

        _sqlite = SqlBench.OpenSqlite(_directory);
        SqlBench.LoadSqlite(_sqlite);
        _select = _sqlite.CreateCommand();
        _select.CommandText = Query;
        _id = _select.Parameters.Add("$1", SqliteType.Integer);
        _id.Value = 1L;
        _select.Prepare();

        _cohort = SqlBench.OpenCohort(_directory);
        await SqlBench.LoadCohortAsync(_cohort).ConfigureAwait(false);
        _operations = [.. _ids.Select(id => SqlBench.Sql(Query, id))];

        var rows = SqlBench.RowCount(await _cohort.ReadAsync(_cohort.Clock.Now(), _operations[0], CancellationToken.None).ConfigureAwait(false));
        if (rows != 1)
        {
            throw new InvalidOperationException($"Cohort found {rows} rows for id {_ids[0]}, not 1.");
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        _select?.Dispose();
        _sqlite?.Dispose();
        if (_cohort is not null)
        {
            await _cohort.DisposeAsync().ConfigureAwait(false);
        }

        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public int Sqlite()
    {
        var found = 0;
        var start = Advance();
        for (var i = 0; i < Batch; i++)
        {
            _id!.Value = _ids[(start + i) % Sequence];
            using var reader = _select!.ExecuteReader();
            while (reader.Read())
            {
                found += reader.GetString(0).Length;
            }
        }

        return found;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public async Task<int> CohortSnapshotRead()
    {
        var engine = _cohort!;
        var found = 0;
        var start = Advance();
        for (var i = 0; i < Batch; i++)
        {
            var result = await engine.ReadAsync(engine.Clock.Now(), _operations[(start + i) % Sequence], CancellationToken.None).ConfigureAwait(false);
            found += SqlBench.RowCount(result);
        }

        return found;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public async Task<int> CohortTransaction()
    {
        var engine = _cohort!;
        var found = 0;
        var start = Advance();
        for (var i = 0; i < Batch; i++)
        {
            var result = await SqlBench.ExecuteAsync(engine, _operations[(start + i) % Sequence]).ConfigureAwait(false);
            found += SqlBench.RowCount(result);
        }

        return found;
    }

    private int Advance()
    {
        var start = _next;
        _next = (_next + Batch) % Sequence;
        return start;
    }
}
