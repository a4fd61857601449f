using System.Globalization;
using BenchmarkDotNet.Attributes;
using Cohort.Engines;
using Microsoft.Data.Sqlite;

namespace Cohort.Benchmarks.Sql;

/// <summary>
/// A 6-table star join: a fact table and five dimension tables of <see cref="Rows"/> rows each, the fact joined to
/// every dimension on the dimension's primary key (comma joins and a WHERE clause, as generated SQL often is), a
/// selective filter on two dimensions (1 % and 50 % of their rows, neither indexed) and an aggregate on top. One
/// caller, against SQLite on a file database with a prepared command (the baseline); Cohort runs it as a lock-free
/// snapshot read. Times are per query.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(SqlReadConfig))]
public class SqlJoinBenchmarks
{
    /// <summary>Rows in the fact table and in each dimension table.</summary>
    public const int Rows = 10_000;

    private const int Dimensions = 5;
    private const int RowsPerInsert = 500;

    private static readonly int[][] Permutations = [.. Enumerable.Range(1, Dimensions).Select(Permutation)];

    /// <summary>The query both engines run.</summary>
    public const string Query = """
        SELECT count(*), sum(f.amount)
        FROM fact f, dim1 d1, dim2 d2, dim3 d3, dim4 d4, dim5 d5
        WHERE f.d1 = d1.id AND f.d2 = d2.id AND f.d3 = d3.id AND f.d4 = d4.id AND f.d5 = d5.id
          AND d1.category = 7 AND d2.category < 50
        """;

    private string _directory = "";
    private IEmbeddedEngine? _cohort;
    private SqliteConnection? _sqlite;
    private SqliteCommand? _select;
    private Core.Operation _operation;

    // Synchronous on purpose (see EngineWorkloadBenchmarks): the data must be loaded before the first case runs.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _directory = SqlBench.NewDirectory("join");
        _sqlite = SqlBench.OpenSqlite(_directory);
        foreach (var statement in Statements())
        {
            SqlBench.Execute(_sqlite, statement);
        }

        _select = _sqlite.CreateCommand();
        _select.CommandText = Query;
        _select.Prepare();

        _cohort = SqlBench.OpenCohort(_directory);
        foreach (var statement in Statements())
        {
            await SqlBench.ExecuteAsync(_cohort, SqlBench.Sql(statement)).ConfigureAwait(false);
        }

        _operation = SqlBench.Sql(Query);
        var ours = (await _cohort.ReadAsync(_cohort.Clock.Now(), _operation, CancellationToken.None).ConfigureAwait(false))
            .TryGetField("rows", out var rows) ? rows.AsList()[0].AsList()[0].AsInt64() : -1;
        var theirs = Sqlite();
        if (ours != theirs || ours == 0)
        {
            throw new InvalidOperationException($"Cohort counts {ours} joined rows, SQLite {theirs}.");
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

    [Benchmark(Baseline = true)]
    public long Sqlite()
    {
        using var reader = _select!.ExecuteReader();
        return reader.Read() ? reader.GetInt64(0) : 0;
    }

    [Benchmark]
    public async Task<long> CohortSnapshotRead()
    {
        var engine = _cohort!;
        var result = await engine.ReadAsync(engine.Clock.Now(), _operation, CancellationToken.None).ConfigureAwait(false);
        return SqlBench.RowCount(result);
    }

    // The tables and their rows: dimension i's category is id % 100; the fact's keys spread over every dimension row.
    private static IEnumerable<string> Statements()
    {
        yield return "CREATE TABLE fact (id BIGINT PRIMARY KEY, d1 BIGINT, d2 BIGINT, d3 BIGINT, d4 BIGINT, d5 BIGINT, amount INTEGER)";
        for (var d = 1; d <= Dimensions; d++)
        {
            yield return $"CREATE TABLE dim{d} (id BIGINT PRIMARY KEY, category INTEGER, name TEXT)";
        }

        for (var start = 1; start <= Rows; start += RowsPerInsert)
        {
            var ids = Enumerable.Range(start, Math.Min(RowsPerInsert, Rows - start + 1)).ToList();
            yield return "INSERT INTO fact VALUES " + string.Join(", ", ids.Select(id =>
                string.Create(CultureInfo.InvariantCulture, $"({id}, {Key(id, 1)}, {Key(id, 2)}, {Key(id, 3)}, {Key(id, 4)}, {Key(id, 5)}, {id % 37})")));
            for (var d = 1; d <= Dimensions; d++)
            {
                yield return $"INSERT INTO dim{d} VALUES " + string.Join(", ", ids.Select(id =>
                    string.Create(CultureInfo.InvariantCulture, $"({id}, {id % 100}, 'dim{d}-{id}')")));
            }
        }
    }

    // Fact row id's key into a dimension: a fixed pseudo-random permutation of 1..Rows per dimension.
    private static long Key(int id, int dimension) => Permutations[dimension - 1][id - 1];

    private static int[] Permutation(int seed)
    {
        var ids = Enumerable.Range(1, Rows).ToArray();
        new Random(seed).Shuffle(ids);
        return ids;
    }
}
