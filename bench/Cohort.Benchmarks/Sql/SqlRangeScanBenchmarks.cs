using BenchmarkDotNet.Attributes;
using Cohort.Core;
using Cohort.Engines;
using Microsoft.Data.Sqlite;

namespace Cohort.Benchmarks.Sql;

/// <summary>
/// Indexed range scan returning <see cref="RangeRows"/> rows
/// (<c>SELECT id, k, v FROM bench WHERE k &gt;= $1 AND k &lt; $2</c>, <c>k</c> indexed), one caller, against
/// SQLite on a file database with a prepared command (the baseline). Cohort runs it as a lock-free snapshot
/// read. Times are per query (100 rows read); start keys follow a fixed pseudo-random sequence.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(SqlReadConfig))]
public class SqlRangeScanBenchmarks
{
    /// <summary>Rows each query returns.</summary>
    public const int RangeRows = 100;

    /// <summary>Queries per invocation.</summary>
    public const int Batch = 32;

    private const string Query = "SELECT id, k, v FROM bench WHERE k >= $1 AND k < $2";
    private const int Sequence = 1024;

    private string _directory = "";
    private IEmbeddedEngine? _cohort;
    private SqliteConnection? _sqlite;
    private SqliteCommand? _select;
    private SqliteParameter? _low;
    private SqliteParameter? _high;
    private long[] _starts = [];
    private Operation[] _operations = [];
    private int _next;

    // Synchronous on purpose (see EngineWorkloadBenchmarks): the data must be loaded before the first case runs.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _directory = SqlBench.NewDirectory("range");
        var random = new Random(23);
        _starts = [.. Enumerable.Range(0, Sequence).Select(_ => (long)random.Next(1, SqlBench.Rows - RangeRows + 2))];

        _sqlite = SqlBench.OpenSqlite(_directory);
        SqlBench.LoadSqlite(_sqlite);
        _select = _sqlite.CreateCommand();
        _select.CommandText = Query;
        _low = _select.Parameters.Add("$1", SqliteType.Integer);
        _high = _select.Parameters.Add("$2", SqliteType.Integer);
        _low.Value = 1L;
        _high.Value = 1L + RangeRows;
        _select.Prepare();

        _cohort = SqlBench.OpenCohort(_directory);
        await SqlBench.LoadCohortAsync(_cohort).ConfigureAwait(false);
        _operations = [.. _starts.Select(start => SqlBench.Sql(Query, start, start + RangeRows))];

        var rows = SqlBench.RowCount(await _cohort.ReadAsync(_cohort.Clock.Now(), _operations[0], CancellationToken.None).ConfigureAwait(false));
        if (rows != RangeRows)
        {
            throw new InvalidOperationException($"Cohort returned {rows} rows for the range at {_starts[0]}, not {RangeRows}.");
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
    public long Sqlite()
    {
        var sum = 0L;
        var start = Advance();
        for (var i = 0; i < Batch; i++)
        {
            var low = _starts[(start + i) % Sequence];
            _low!.Value = low;
            _high!.Value = low + RangeRows;
            using var reader = _select!.ExecuteReader();
            while (reader.Read())
            {
                sum += reader.GetInt64(0) + reader.GetInt64(1) + reader.GetString(2).Length;
            }
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public async Task<int> CohortSnapshotRead()
    {
        var engine = _cohort!;
        var rows = 0;
        var start = Advance();
        for (var i = 0; i < Batch; i++)
        {
            var result = await engine.ReadAsync(engine.Clock.Now(), _operations[(start + i) % Sequence], CancellationToken.None).ConfigureAwait(false);
            rows += SqlBench.RowCount(result);
        }

        return rows;
    }

    private int Advance()
    {
        var start = _next;
        _next = (_next + Batch) % Sequence;
        return start;
    }
}
