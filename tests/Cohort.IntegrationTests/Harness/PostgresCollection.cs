namespace Cohort.IntegrationTests.Harness;

/// <summary>The tests that use the shared PostgreSQL server (one server for all of them; they restart it, so they run in turn).</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "PostgreSQL";
}
