using Xunit.Abstractions;

namespace Cohort.Tests.Engines.Sql.Differential;

/// <summary>
/// Differential tests of the SQL engine against SQLite (an oracle, used in tests only): every query of
/// <see cref="DifferentialCorpus"/> runs on both over the same data, and the rows must agree (in order when
/// the ORDER BY fixes it, as multisets otherwise), up to the representations the dialects legitimately
/// differ in (see <see cref="ResultComparer"/>), both as a snapshot read and inside a read-write
/// transaction. Each query is its own test case, named by its id and text.
/// </summary>
public sealed class SqlDifferentialTests(DifferentialFixture fixture, ITestOutputHelper output) : IClassFixture<DifferentialFixture>
{
    public const int MinimumQueries = 300;

    public static TheoryData<string, string> Queries
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var query in DifferentialCorpus.All)
            {
                data.Add(query.Id, query.ToString());
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Queries))]
    public async Task Query_ReturnsTheSameRowsAsSqlite(string id, string sql)
    {
        var query = DifferentialCorpus.ById[id];
        Assert.Equal(query.ToString(), sql);
        var expected = fixture.Sqlite.Query(query);
        Assert.True(expected.Succeeded, $"SQLite rejected {id}, so it is not in the shared dialect: {expected.Error}\n  {sql}");

        var cohort = await fixture.CohortAsync();
        var snapshot = await cohort.QueryAsync(query);
        output.WriteLine($"{id}: SQLite {expected.Rows.Length} rows, Cohort {(snapshot.Succeeded ? snapshot.Rows.Length + " rows" : "error")}");
        var mismatch = ResultComparer.Compare(query, expected, snapshot);
        Assert.True(mismatch is null, $"{id} (snapshot read): {mismatch}");

        // The same query through the read-write path (transaction view, predicate locks) must agree too.
        var transactional = await cohort.QueryInTransactionAsync(query);
        mismatch = ResultComparer.Compare(query, expected, transactional);
        Assert.True(mismatch is null, $"{id} (read-write transaction): {mismatch}");
    }

    [Fact]
    public void Corpus_HasAtLeast300DistinctQueries()
    {
        Assert.True(DifferentialCorpus.All.Length >= MinimumQueries, $"only {DifferentialCorpus.All.Length} queries");
        Assert.Equal(DifferentialCorpus.All.Length, DifferentialCorpus.All.Select(q => q.Sql).Distinct().Count());
        output.WriteLine(
            $"{DifferentialCorpus.All.Length} queries: {HandWrittenQueries.All.Length} hand-written, {DifferentialCorpus.GeneratedCount} generated from seed {DifferentialCorpus.GeneratorSeed}");
    }

    /// <summary>
    /// The oracle's side alone: SQLite answers every query, and the corpus is not degenerate (most queries
    /// return rows, so agreement on them means something).
    /// </summary>
    [Fact]
    public void Sqlite_AnswersEveryQuery_MostWithRows()
    {
        var failures = new List<string>();
        var empty = 0;
        foreach (var query in DifferentialCorpus.All)
        {
            var result = fixture.Sqlite.Query(query);
            if (!result.Succeeded)
            {
                failures.Add($"{query.Id}: {result.Error}\n  {query}");
            }
            else if (result.Rows.Length == 0)
            {
                empty++;
            }
        }

        Assert.True(failures.Count == 0, $"SQLite {fixture.Sqlite.Version} rejected {failures.Count} queries:\n" + string.Join("\n", failures));
        output.WriteLine($"SQLite {fixture.Sqlite.Version}: {DifferentialCorpus.All.Length} queries, {empty} with no rows");
        Assert.True(empty < DifferentialCorpus.All.Length / 5, $"{empty} of {DifferentialCorpus.All.Length} queries return no rows");
    }
}
