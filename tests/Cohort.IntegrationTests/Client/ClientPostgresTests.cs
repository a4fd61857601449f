using Cohort.Client;
using Cohort.Core;
using Cohort.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests.Client;

/// <summary>
/// Issue 8 with issue 7: the client's <c>Pg</c> typed client on a real PostgreSQL database, in one transaction with an
/// embedded KV resource: committed together, and a transaction disposed midway leaves neither.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Category", "Postgres")]
public sealed class ClientPostgresTests(PostgresFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Pg_WithKvInOneTransaction_CommitsTogether_AndADisposedOneLeavesNeither()
    {
        var database = await fixture.Server.CreateDatabaseAsync("client");
        await fixture.Server.ExecuteAsync(database, "CREATE TABLE accounts (id integer PRIMARY KEY, name text NOT NULL)");
        await using var cluster = await TestCluster.StartAsync([["kv:users"], []], output);
        using var client = new CohortClient(cluster.Nodes[1].Address);
        await client.CreateResourceAsync("pg:accounts", cluster.Nodes[1].Address, fixture.Server.ConnectionString(database));
        await Wait.UntilAsync(async () => (await client.ListResourcesAsync()).Any(r => r.Name == "pg:accounts"), Wait.Long, "pg:accounts listed");

        await using (var tx = await client.BeginAsync(TimeSpan.FromSeconds(30), "pg client"))
        {
            var pg = tx.Pg("pg:accounts");
            var inserted = await pg.ExecuteAsync("INSERT INTO accounts VALUES ($1, $2)", [1, "Alice"]);
            Assert.Equal(1, inserted.Affected);
            var rows = await pg.QueryAsync("SELECT id, name FROM accounts WHERE id = $1", [1]);
            Assert.Equal("Alice", Assert.Single(rows)["name"].AsString());
            await tx.Kv("kv:users").PutAsync("alice", "has an account");
            await tx.CommitAsync();
        }

        // "Committed" is answered once the decision is durable; PostgreSQL's COMMIT PREPARED follows in phase two.
        await Wait.UntilAsync(async () => (await fixture.Server.QueryAsync(database, "SELECT name FROM accounts")).SequenceEqual(["Alice"]), Wait.Long, "Alice in PostgreSQL");
        Assert.Equal("has an account", await client.Snapshot().Kv("kv:users").GetStringAsync("alice"));

        await using (var tx = await client.BeginAsync(TimeSpan.FromSeconds(30)))
        {
            await tx.Pg("pg:accounts").ExecuteAsync("INSERT INTO accounts VALUES ($1, $2)", [2, "Bob"]);
            await tx.Kv("kv:users").PutAsync("bob", "has an account");
            var duplicate = await Assert.ThrowsAnyAsync<CohortClientException>(() => tx.Pg("pg:accounts").ExecuteAsync("INSERT INTO accounts VALUES ($1, $2)", [1, "again"]));
            output.WriteLine($"duplicate: {duplicate.Code}: {duplicate.Message}");
        }

        await cluster.WaitSettledAsync();
        Assert.Equal([1L], await fixture.Server.QueryAsync(database, "SELECT count(*) FROM accounts"));
        Assert.True((await client.Snapshot().Kv("kv:users").GetAsync("bob")).IsNull);
    }
}
