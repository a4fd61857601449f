namespace Cohort.IntegrationTests.Harness;

/// <summary>One real PostgreSQL server shared by the tests of the <see cref="PostgresCollection"/> (they run one after another).</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private PostgresServer? _server;

    internal PostgresServer Server => _server ?? throw new InvalidOperationException("PostgreSQL did not start.");

    public async Task InitializeAsync() => _server = await PostgresServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
