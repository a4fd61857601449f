using Cohort.Core;
using Cohort.Engines.TestKit;
using Cohort.IntegrationTests.Harness;
using Cohort.Postgres;

namespace Cohort.IntegrationTests.Postgres;

/// <summary>
/// The engine TestKit's conformance suite over <see cref="PostgresEngine"/>, against a real PostgreSQL 15 started by the
/// fixture: each test gets a fresh database with table <c>items</c>; an item is a row, version n sets its column v to n
/// (the same statements as the embedded SQL engine's conformance run). The crash cases kill a Cohort.CrashHost child
/// holding the PostgreSQL connection after its PREPARE TRANSACTION. PostgreSQL-specific cases are in
/// <see cref="PostgresEngineTests"/>.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Category", "Postgres")]
public sealed class PostgresConformanceTests(PostgresFixture fixture) : EngineConformanceTests
{
    private string _database = string.Empty;

    private PostgresServer Server => fixture.Server;

    protected override string Resource => "pg:conformance";

    protected override EngineCapabilities Capabilities => EngineCapabilities.None;

    protected override string CrashHostStore => Server.ConnectionString(_database);

    protected override string WhyNot(EngineCapabilities capability) => capability switch
    {
        EngineCapabilities.WoundWait =>
            "PostgreSQL makes every conflicting writer wait (older ones too) and breaks deadlocks with its detector, reported as wounded; it does not wound younger holders.",
        EngineCapabilities.ReadLocksUntilCommit =>
            "PostgreSQL's SELECT takes no row locks (MVCC), so a prepared reader does not block a later writer of what it read.",
        EngineCapabilities.TimestampedSnapshots =>
            "PostgreSQL keeps no Cohort timestamps: a snapshot read sees the latest commits, not those as of its timestamp, and does not wait for prepared writes.",
        EngineCapabilities.RecoversCoordinator =>
            "A recovered PostgreSQL prepared transaction is known by its gid (transaction and resource) only; the participant host asks the coordinator it runs with.",
        _ => base.WhyNot(capability),
    };

    protected override async Task CreateStoreAsync()
    {
        _database = await Server.CreateDatabaseAsync("conformance");
        await Server.ExecuteAsync(_database, SqlItems.CreateTable);
    }

    protected override async Task DeleteStoreAsync()
    {
        // A failed case may leave a transaction prepared: it would hold a max_prepared_transactions slot for the rest of the run.
        foreach (var gid in await Server.QueryAsync("postgres", "SELECT gid FROM pg_prepared_xacts WHERE database = $1", _database))
        {
            await Server.ExecuteAsync(_database, $"ROLLBACK PREPARED '{gid}'");
        }
    }

    protected override async Task<ITransactionalEngine> OpenEngineCoreAsync() =>
        await PostgresEngine.OpenAsync(Resource, new PostgresOptions
        {
            ConnectionString = Server.ConnectionString(_database),
            RecoveryInterval = Timeout.InfiniteTimeSpan,
        });

    protected override int ActiveTransactionCount(ITransactionalEngine engine) => ((PostgresEngine)engine).ActiveTransactionCount;

    protected override IReadOnlyList<Operation> Write(string item, int n) => SqlItems.Write(item, n);

    protected override Operation Read(string item) => SqlItems.Read(item);

    protected override Value Expected(string item, IReadOnlyList<int> committed) => SqlItems.Expected(committed);
}
