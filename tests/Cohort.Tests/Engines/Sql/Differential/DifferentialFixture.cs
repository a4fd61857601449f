namespace Cohort.Tests.Engines.Sql.Differential;

/// <summary>
/// SQLite and Cohort loaded with the same data once for all differential tests. Cohort is opened on
/// first use, so the SQLite-only checks run even while the engine cannot open.
/// </summary>
public sealed class DifferentialFixture : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();
    private readonly Lazy<Task<CohortSqlRunner>> _cohort;

    public DifferentialFixture()
    {
        _cohort = new Lazy<Task<CohortSqlRunner>>(() => CohortSqlRunner.OpenAsync(Path.Combine(_directory.Path, "sql")));
    }

    internal SqliteOracle Sqlite { get; } = new();

    internal Task<CohortSqlRunner> CohortAsync() => _cohort.Value;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_cohort.IsValueCreated && _cohort.Value.IsCompletedSuccessfully)
        {
            await (await _cohort.Value).DisposeAsync();
        }

        Sqlite.Dispose();
        _directory.Dispose();
    }
}
