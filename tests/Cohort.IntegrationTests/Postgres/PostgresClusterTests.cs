using System.Diagnostics;
using System.Text.Json.Nodes;
using Cohort.Core;
using Cohort.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests.Postgres;

/// <summary>
/// Issue 7 on real node processes and a real PostgreSQL 15: the seed's quick start through <c>cohort commit</c>, a mixed
/// transaction over PostgreSQL and embedded engines, crashes of a node holding a prepared PostgreSQL transaction, a
/// PostgreSQL restart between prepare and commit, an orphan <c>cohort:</c> gid, and injection attempts.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Category", "Postgres")]
public sealed class PostgresClusterTests(PostgresFixture fixture, ITestOutputHelper output)
{
    private const string UsersDdl = "CREATE TABLE users (id integer PRIMARY KEY, name text NOT NULL, email text UNIQUE)";

    private PostgresServer Server => fixture.Server;

    [Fact]
    [Trait("Category", "Slow")]
    public async Task SeedQuickStart_CommitCli_InsertThenUpdate_LandsInAllThreeDatabases_AndAConstraintViolationOnOneLeavesNoneChanged()
    {
        var databases = await UsersDatabasesAsync(3);
        await using var cluster = await TestCluster.StartAsync([[], [], []], output, dsns: [.. databases.Select(d => Server.ConnectionString(d))]);

        var insert = await CommitCliAsync(cluster, """{"table":"users","values":{"id":1,"name":"Alice","email":"alice@example.com"}}""");
        Assert.True(insert.ExitCode == 0, $"cohort commit (insert) exited {insert.ExitCode}: {insert.Output}");
        var update = await CommitCliAsync(cluster, """{"table":"users","operation":"update","values":{"name":"Alice Smith"},"where":{"id":1}}""");
        Assert.True(update.ExitCode == 0, $"cohort commit (update) exited {update.ExitCode}: {update.Output}");
        foreach (var database in databases)
        {
            await EventuallyAsync(database, "SELECT name FROM users WHERE id = 1", "Alice Smith");
            await Wait.UntilAsync(
                async () => (await Server.QueryAsync(database, "SELECT count(*) FROM distributed_tx WHERE status = 'committed'")).SequenceEqual([2L]),
                Wait.Long,
                $"two committed audit rows in {database}");
        }

        // Only the third database already has id 2: the payload must be refused there, so it lands nowhere.
        await Server.ExecuteAsync(databases[2], "INSERT INTO users VALUES (2, 'Already here', NULL)");
        var conflict = await CommitCliAsync(cluster, """{"table":"users","values":{"id":2,"name":"Bob","email":"bob@example.com"}}""");
        cluster.Log($"conflicting insert: exit {conflict.ExitCode}: {conflict.Output}");
        Assert.Equal(1, conflict.ExitCode);
        Assert.Contains("users_pkey", conflict.Output, StringComparison.Ordinal);
        Assert.Empty(await Server.QueryAsync(databases[0], "SELECT name FROM users WHERE id = 2"));
        Assert.Empty(await Server.QueryAsync(databases[1], "SELECT name FROM users WHERE id = 2"));
        Assert.Equal(["Already here"], await Server.QueryAsync(databases[2], "SELECT name FROM users WHERE id = 2"));
        Assert.Empty(await PreparedAsync(databases));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task MixedTransaction_PgKvAndToken_CommitsOrAbortsAsOne()
    {
        var database = await Server.CreateDatabaseAsync("mixed");
        await Server.ExecuteAsync(database, "CREATE TABLE orders (id integer PRIMARY KEY, customer text NOT NULL, points integer NOT NULL)");
        await using var cluster = await TestCluster.StartAsync([["kv:users"], ["resource:points"], []], output);
        var created = await cluster.Api.PostAsync(cluster.Nodes[2], "v1/resources", new JsonObject { ["name"] = "pg:shard1", ["dsn"] = Server.ConnectionString(database), ["node"] = cluster.Nodes[2].Address });
        Assert.True(created.Status == 201, $"create pg:shard1: {created}");
        await Wait.UntilAsync(async () => (await cluster.Api.GetAsync(cluster.Master, "v1/resources")).Text.Contains("pg:shard1", StringComparison.Ordinal), Wait.Long, "pg:shard1 known to the master");
        await cluster.BatchOkAsync(Ops.On("resource:points", Ops.Initialize("PTS", 0)), Ops.On("resource:points", Ops.Mint("alice", 100)));

        await cluster.BatchOkAsync(
            Ops.On("pg:shard1", Ops.Sql("INSERT INTO orders VALUES ($1, $2, $3)", 1, "alice", 30)),
            Ops.On("kv:users", Ops.Put("alice", "ordered 1")),
            Ops.On("resource:points", Ops.Transfer("alice", "shop", 30)));
        await EventuallyAsync(database, "SELECT points FROM orders WHERE id = 1", 30);
        Assert.Equal("\"ordered 1\"", Ops.Text(await cluster.ReadOneAsync("kv:users", Ops.Get("alice"))));
        Assert.Equal(70m, Ops.Decimal(await cluster.ReadOneAsync("resource:points", Ops.Balance("alice"))));

        // PostgreSQL refuses (duplicate order id): the KV write and the transfer are undone with it.
        var duplicate = await cluster.BatchAsync(Ops.Batch(
            Ops.On("kv:users", Ops.Put("alice", "ordered 1 again")),
            Ops.On("resource:points", Ops.Transfer("alice", "shop", 30)),
            Ops.On("pg:shard1", Ops.Sql("INSERT INTO orders VALUES ($1, $2, $3)", 1, "alice", 30))));
        cluster.Log($"duplicate order: {duplicate}");
        Assert.Equal("aborted", duplicate.TxStatus);
        Assert.Contains("orders_pkey", duplicate.Text, StringComparison.Ordinal);

        // The token refuses (insufficient funds): the PostgreSQL insert is undone with it.
        var broke = await cluster.BatchAsync(Ops.Batch(
            Ops.On("pg:shard1", Ops.Sql("INSERT INTO orders VALUES ($1, $2, $3)", 2, "alice", 500)),
            Ops.On("kv:users", Ops.Put("alice", "ordered 2")),
            Ops.On("resource:points", Ops.Transfer("alice", "shop", 500))));
        cluster.Log($"order beyond the balance: {broke}");
        Assert.Equal("aborted", broke.TxStatus);

        Assert.Equal([1L], await Server.QueryAsync(database, "SELECT count(*) FROM orders"));
        Assert.Equal("\"ordered 1\"", Ops.Text(await cluster.ReadOneAsync("kv:users", Ops.Get("alice"))));
        Assert.Equal(70m, Ops.Decimal(await cluster.ReadOneAsync("resource:points", Ops.Balance("alice"))));
        Assert.Equal(30m, Ops.Decimal(await cluster.ReadOneAsync("resource:points", Ops.Balance("shop"))));
        Assert.Empty(await PreparedAsync(database));

        // The DSN given at run time is remembered, readable by the owner only, and a restarted node reopens pg:shard1.
        var dsnFile = Path.Combine(cluster.Nodes[2].DataDirectory, "postgres-resources.json");
        Assert.True(File.Exists(dsnFile), $"{dsnFile} missing");
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dsnFile));
        }

        await cluster.Nodes[2].RestartAsync();
        await Wait.UntilAsync(
            async () => (await cluster.BatchAsync(Ops.Batch(
                Ops.On("pg:shard1", Ops.Sql("INSERT INTO orders VALUES ($1, $2, $3)", 3, "bob", 1)),
                Ops.On("kv:users", Ops.Put("bob", "ordered 3"))))).TxStatus == "committed",
            Wait.Long,
            "a transaction on pg:shard1 after its node restarted");
        await EventuallyAsync(database, "SELECT customer FROM orders WHERE id = 3", "bob");
    }

    [Theory]
    [Trait("Category", "Slow")]
    [InlineData("participant.after-prepare-durable", "aborted")]
    [InlineData("participant.during-phase-two", "committed")]
    public async Task NodeKilledWhilePostgresHoldsItsPreparedTransaction_ItSurvives_AndAfterRestartIsResolvedAsDecided(string crashPoint, string expected)
    {
        var database = await UsersDatabasesAsync(1);
        await using var cluster = await TestCluster.StartAsync([["kv:m"], []], output, crashAt: new Dictionary<int, string> { [1] = crashPoint }, dsns: [null, Server.ConnectionString(database[0])]);
        var victim = cluster.Nodes[1];
        var shard = $"pg:default@{victim.Address}";

        // A deadline far enough away that the node's termination sweep cannot settle the transaction before phase two arrives.
        var answer = await cluster.BatchAsync(new JsonObject
        {
            ["timeout_ms"] = 30_000,
            ["ops"] = new JsonArray(
                Ops.On("kv:m", Ops.Put("k", "v")),
                Ops.On(shard, new JsonObject { ["table"] = "users", ["operation"] = "insert", ["values"] = new JsonObject { ["id"] = 7, ["name"] = "Crash" } })),
        });
        cluster.Log($"client was told: {answer}");
        Assert.True(await victim.WaitForExitAsync(Wait.Long), $"{victim} did not die at {crashPoint}.\n{cluster.Diagnostics()}");
        Assert.True(victim.Printed("CRASH " + crashPoint), $"{victim} exited without reaching {crashPoint}.\n{victim.Tail()}");

        // The node is gone; PostgreSQL still holds the prepared transaction under the node's gid.
        var prepared = await PreparedAsync(database);
        Assert.Single(prepared, g => g.EndsWith(":" + shard, StringComparison.Ordinal) && g.StartsWith("cohort:", StringComparison.Ordinal));

        await victim.StartAsync();
        await Wait.UntilAsync(async () => (await PreparedAsync(database)).Count == 0, Wait.Long, "the prepared transaction resolved after the restart", () => victim.Tail(20));
        await cluster.WaitSettledAsync();

        var row = await Server.QueryAsync(database[0], "SELECT name FROM users WHERE id = 7");
        var kv = Ops.Text(await cluster.ReadOneAsync("kv:m", Ops.Get("k")));
        var outcome = row.Count == 1 ? "committed" : "aborted";
        Assert.Equal(expected, outcome);
        Assert.Equal(outcome == "committed" ? "\"v\"" : "null", kv);
        Assert.True(answer.TxStatus is "in-doubt" || answer.TxStatus == outcome, $"client was told {answer.TxStatus}, outcome {outcome}");
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task PostgresRestartedBetweenPrepareAndCommit_TheCommitStillLands()
    {
        var database = await UsersDatabasesAsync(1);

        // The coordinator dies once the commit decision is durable: PostgreSQL holds the prepared transaction, undecided here.
        await using var cluster = await TestCluster.StartAsync([["kv:m"], []], output, crashAt: new Dictionary<int, string> { [0] = "coordinator.after-decision" }, dsns: [null, Server.ConnectionString(database[0])]);
        var shard = $"pg:default@{cluster.Nodes[1].Address}";
        var batch = cluster.BatchAsync(Ops.Batch(
            Ops.On("kv:m", Ops.Put("k", "v")),
            Ops.On(shard, new JsonObject { ["table"] = "users", ["operation"] = "insert", ["values"] = new JsonObject { ["id"] = 9, ["name"] = "Restart" } })));
        Assert.True(await cluster.Master.WaitForExitAsync(Wait.Long), $"the master did not die after the decision.\n{cluster.Diagnostics()}");
        try
        {
            await batch;
        }
        catch (HttpRequestException)
        {
            // The master died mid-request.
        }

        Assert.Single(await PreparedAsync(database));
        await Server.RestartAsync();
        Assert.Single(await PreparedAsync(database));
        Assert.Empty(await Server.QueryAsync(database[0], "SELECT name FROM users WHERE id = 9"));

        await cluster.Master.StartAsync();
        await Wait.UntilAsync(async () => (await PreparedAsync(database)).Count == 0, Wait.Long, "the commit re-driven after the PostgreSQL restart", () => cluster.Diagnostics(20));
        Assert.Equal(["Restart"], await Server.QueryAsync(database[0], "SELECT name FROM users WHERE id = 9"));
        Assert.Equal("\"v\"", Ops.Text(await cluster.ReadOneAsync("kv:m", Ops.Get("k"))));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task OrphanCohortGid_WithNoDecision_IsRolledBackByRecovery()
    {
        var database = await UsersDatabasesAsync(1);
        await using var cluster = await TestCluster.StartAsync([[], []], output, dsns: [null, Server.ConnectionString(database[0])]);
        var orphan = $"cohort:{TxId.NewId()}:pg:default@{cluster.Nodes[1].Address}";

        // What a crash between PREPARE and the coordinator hearing the vote leaves: a prepared gid nobody decided.
        await Server.ExecuteAsync(database[0], $"BEGIN; INSERT INTO users VALUES (5, 'Orphan', NULL); PREPARE TRANSACTION '{orphan}'");
        Assert.Equal([orphan], await PreparedAsync(database));
        await Wait.UntilAsync(async () => (await PreparedAsync(database)).Count == 0, Wait.Long, "the orphan rolled back by recovery", () => cluster.Nodes[1].Tail(20));
        Assert.Empty(await Server.QueryAsync(database[0], "SELECT name FROM users WHERE id = 5"));
    }

    [Fact]
    public async Task InjectionAttempt_AsAValueIsStoredVerbatimEverywhere_AsAnIdentifierIsRefused()
    {
        const string Evil = "'; DROP TABLE users; --";
        var databases = await UsersDatabasesAsync(2);
        await using var cluster = await TestCluster.StartAsync([[], []], output, dsns: [.. databases.Select(d => Server.ConnectionString(d))]);

        var stored = await cluster.Api.PostAsync(cluster.Master, "transaction", new JsonObject { ["payload"] = new JsonObject { ["table"] = "users", ["values"] = new JsonObject { ["id"] = 1, ["name"] = Evil } } });
        Assert.True(stored.Status == 200, $"/transaction: {stored}");
        foreach (var database in databases)
        {
            await EventuallyAsync(database, "SELECT name FROM users WHERE id = 1", Evil);
        }

        var refused = await cluster.BatchAsync(Ops.Batch(Ops.On($"pg:default@{cluster.Nodes[1].Address}", new JsonObject { ["table"] = Evil, ["operation"] = "insert", ["values"] = new JsonObject { ["id"] = 2 } })));
        Assert.Equal(400, refused.Status);
        Assert.Equal(ErrorCodes.BadOperation, refused.Code);
        var column = await cluster.Api.PostAsync(cluster.Master, "transaction", new JsonObject { ["payload"] = new JsonObject { ["table"] = "users", ["values"] = new JsonObject { ["id"] = 3, [Evil] = "x" } } });
        Assert.Equal(409, column.Status);
        Assert.Contains("bad_operation", column.Text, StringComparison.Ordinal);
        foreach (var database in databases)
        {
            Assert.Equal([1L], await Server.QueryAsync(database, "SELECT count(*) FROM users"));
        }
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task NodeStartedByTheCli_WithAPostgresUriDsn_CommitsOnIt_AndAnInvalidDsnExitsWith2InOneLine()
    {
        // Issue 17: the seed's DSN form. The password (percent-encoded, ignored by the test server's trust auth) and the
        // query parameters must be understood; application_name shows that they reached the connections.
        var database = (await UsersDatabasesAsync(1))[0];
        var uri = $"postgres://postgres:not%40used@127.0.0.1:{Server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)}/{database}"
            + "?sslmode=disable&connect_timeout=10&application_name=cohort%20uri%20test";
        await using (var cluster = await TestCluster.StartAsync([[]], output, dsns: [uri]))
        {
            var insert = await CommitCliAsync(cluster, """{"table":"users","values":{"id":7,"name":"Uri","email":"uri@example.com"}}""");
            Assert.True(insert.ExitCode == 0, $"cohort commit exited {insert.ExitCode}: {insert.Output}");
            await EventuallyAsync(database, "SELECT name FROM users WHERE id = 7", "Uri");
            await EventuallyAsync(database, "SELECT status FROM distributed_tx", "committed");
            Assert.NotEmpty(await Server.QueryAsync("postgres", "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'cohort uri test%'", database));
            Assert.Empty(await PreparedAsync(database));
        }

        var dataDirectory = Path.Combine(Path.GetTempPath(), "cohort-bad-dsn-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var bad = await Cli.CohortCli.RunAsync("start-master", "--addr", $"127.0.0.1:{FreePorts.Take(1)[0].ToString(System.Globalization.CultureInfo.InvariantCulture)}", "--data-dir", dataDirectory, "--dsn", "postgres://app:s3cret@127.0.0.1:notaport/shop");
            output.WriteLine(bad.ToString());
            Assert.Equal(2, bad.ExitCode);
            Assert.Equal("cohort start-master: Invalid PostgreSQL DSN: the DSN's port 'notaport' is not a number from 1 to 65535.", bad.Stderr.Trim());
            Assert.DoesNotContain("READY", bad.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(dataDirectory))
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
        }
    }

    private async Task<List<string>> UsersDatabasesAsync(int count)
    {
        var names = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var name = await Server.CreateDatabaseAsync("shard");
            await Server.ExecuteAsync(name, UsersDdl);
            names.Add(name);
        }

        return names;
    }

    // The prepared transactions PostgreSQL holds in these databases.
    private async Task<List<string>> PreparedAsync(params IEnumerable<string> databases) =>
        [.. (await Server.QueryAsync("postgres", "SELECT gid FROM pg_prepared_xacts WHERE database = ANY($1) ORDER BY gid", new object[] { databases.ToArray() })).Cast<string>()];

    // Phase two reaches PostgreSQL after the client is told "committed" (the decision is what is durable first), so a
    // direct read of the database waits for it.
    private async Task EventuallyAsync(string database, string sql, params object?[] expected)
    {
        List<object?> last = [];
        await Wait.UntilAsync(
            async () => (last = await Server.QueryAsync(database, sql)).SequenceEqual(expected),
            Wait.Long,
            $"{sql} in {database} to give [{string.Join(", ", expected)}]",
            () => $"[{string.Join(", ", last)}]");
    }

    // `cohort commit --master … --payload …`, the seed's CLI command, as a child process.
    private static async Task<(int ExitCode, string Output)> CommitCliAsync(TestCluster cluster, string payload)
    {
        var host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var info = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "cohort.dll"), "commit", "--master", cluster.Master.Address, "--payload", payload })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, (await stdout) + (await stderr));
    }
}
