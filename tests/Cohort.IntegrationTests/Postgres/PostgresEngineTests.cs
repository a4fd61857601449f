using Cohort.Core;
using Cohort.IntegrationTests.Harness;
using Cohort.Postgres;

namespace Cohort.IntegrationTests.Postgres;

/// <summary>
/// What <see cref="PostgresEngine"/> does beyond the participant contract, against a real PostgreSQL 15 (started by the
/// fixture): real PREPARE TRANSACTION under the documented gid, the audit table, the pipelined apply-and-prepare, SQL
/// results and the seed payload, error mapping, injection safety, orphans, server restarts and statement preparation.
/// The contract itself (votes, idempotence, refusals, lock waits, recovery after a crash) is the engine TestKit's suite,
/// run against PostgreSQL by <see cref="PostgresConformanceTests"/>.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Category", "Postgres")]
public sealed class PostgresEngineTests(PostgresFixture fixture) : IAsyncLifetime
{
    private readonly List<PostgresEngine> _opened = [];
    private string _database = string.Empty;

    private PostgresServer Server => fixture.Server;

    public async Task InitializeAsync()
    {
        _database = await Server.CreateDatabaseAsync("engine");
        await Server.ExecuteAsync(_database, "CREATE TABLE items (id text PRIMARY KEY, v bigint NOT NULL CHECK (v >= 0))");
        await Server.ExecuteAsync(_database, "CREATE TABLE users (id integer PRIMARY KEY, name text NOT NULL, email text UNIQUE)");
    }

    public async Task DisposeAsync()
    {
        foreach (var engine in _opened)
        {
            await engine.DisposeAsync();
        }

        // Nothing may stay prepared for the next test's database.
        await Server.ExecuteAsync("postgres", "SELECT 1");
    }

    [Fact]
    public async Task PrepareThenCommit_UsesPrepareTransaction_AndMakesTheRowAndAuditRowVisible()
    {
        var engine = await OpenAsync();
        var tx = Begin();
        await engine.ApplyAsync(tx, Write("a", 1), default);
        var vote = await engine.PrepareAsync(tx.Id, new PrepareInfo(null), default);
        Assert.Equal(VoteKind.Yes, vote.Kind);

        // Really prepared in PostgreSQL, under the documented gid, and not visible yet.
        Assert.Equal([engine.GidOf(tx.Id)], await PreparedGidsAsync());
        Assert.Empty(await Server.QueryAsync(_database, "SELECT v FROM items WHERE id = 'a'"));
        Assert.Single(engine.GetPrepared(), p => p.Id == tx.Id);

        await engine.CommitAsync(tx.Id, engine.Clock.Now(), default);
        Assert.Empty(await PreparedGidsAsync());
        Assert.Equal([1L], await Server.QueryAsync(_database, "SELECT v FROM items WHERE id = 'a'"));
        Assert.Empty(engine.GetPrepared());
        await StatusesAsync("committed");
        var payload = await Server.QueryAsync(_database, "SELECT payload::text FROM distributed_tx WHERE gid = $1", engine.GidOf(tx.Id));
        Assert.Contains("INSERT INTO items", (string)payload[0]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnePhaseCommit_CommitsDirectly_AndIsIdempotentAcrossARestartOfTheEngine()
    {
        var engine = await OpenAsync();
        var tx = Begin();
        await engine.ApplyAsync(tx, Write("a", 1), default);
        await engine.ApplyAsync(tx, Write("b", 2), default);
        await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), default);
        Assert.Equal([1L, 2L], await Server.QueryAsync(_database, "SELECT v FROM items ORDER BY id"));
        Assert.Empty(await PreparedGidsAsync());

        await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), default);
        await engine.DisposeAsync();

        // A new process answers from the audit row, never by assumption.
        var again = await OpenAsync();
        await again.CommitOnePhaseAsync(tx.Id, again.Clock.Now(), default);
        var lost = Begin();
        var error = await Assert.ThrowsAsync<CohortException>(async () => await again.CommitOnePhaseAsync(lost.Id, again.Clock.Now(), default));
        Assert.Equal(ErrorCodes.UnknownTransaction, error.Code);
    }

    [Fact]
    public async Task Abort_BeforeAndAfterPrepare_RollsBackInPostgres_LeavingNoGidAndNoAuditRow()
    {
        var engine = await OpenAsync();
        var open = Begin();
        await engine.ApplyAsync(open, Write("a", 1), default);
        await engine.AbortAsync(open.Id, default);
        await engine.AbortAsync(open.Id, default);

        var prepared = Begin();
        await engine.ApplyAsync(prepared, Write("b", 1), default);
        Assert.Equal(VoteKind.Yes, (await engine.PrepareAsync(prepared.Id, new PrepareInfo(null), default)).Kind);
        Assert.Equal([engine.GidOf(prepared.Id)], await PreparedGidsAsync());
        await engine.AbortAsync(prepared.Id, default);
        await engine.AbortAsync(prepared.Id, default);
        Assert.Empty(await PreparedGidsAsync());
        Assert.Empty(await Server.QueryAsync(_database, "SELECT v FROM items"));
        Assert.Empty(await Server.QueryAsync(_database, "SELECT gid FROM distributed_tx"));
    }

    [Fact]
    public async Task ApplyAndPrepare_RunsTheOperationsAndPreparesInOneStep_AndAFailingStatementPreparesNothing()
    {
        var engine = await OpenAsync();
        var tx = Begin();
        var (results, vote) = await engine.ApplyAndPrepareAsync(tx, [Write("a", 1), Sql("INSERT INTO items VALUES ($1, $2) RETURNING v * 10", "b", 2)], new PrepareInfo(null), default);
        Assert.Equal(VoteKind.Yes, vote.Kind);
        Assert.Equal(2, results.Count);
        Assert.Equal(Value.List(Value.List(Value.From(20L))), results[1].AsMap()["rows"]);
        Assert.Equal([engine.GidOf(tx.Id)], await PreparedGidsAsync());
        await engine.CommitAsync(tx.Id, engine.Clock.Now(), default);
        Assert.Equal([1L, 2L], await Server.QueryAsync(_database, "SELECT v FROM items ORDER BY id"));

        var failing = Begin();
        var error = await Assert.ThrowsAsync<CohortException>(async () => await engine.ApplyAndPrepareAsync(failing, [Write("c", 3), Write("d", -1)], new PrepareInfo(null), default));
        Assert.Equal(ErrorCodes.ConstraintViolation, error.Code);
        Assert.Empty(await PreparedGidsAsync());
        Assert.Equal(VoteKind.No, (await engine.PrepareAsync(failing.Id, new PrepareInfo(null), default)).Kind);
        Assert.Equal([2L], await Server.QueryAsync(_database, "SELECT count(*) FROM items"));

        var reader = Begin();
        var (read, readVote) = await engine.ApplyAndPrepareAsync(reader, [Read("a")], new PrepareInfo(null), default);
        Assert.Equal(VoteKind.ReadOnly, readVote.Kind);
        Assert.Equal(Value.List(Value.List(Value.From(1L))), read[0].AsMap()["rows"]);
    }

    [Fact]
    public async Task Commit_IsIdempotent_InThisProcessAndInANewOne()
    {
        var engine = await OpenAsync();
        var tx = Begin();
        await engine.ApplyAsync(tx, Write("a", 7), default);
        await engine.PrepareAsync(tx.Id, new PrepareInfo(null), default);
        await engine.CommitAsync(tx.Id, engine.Clock.Now(), default);
        await engine.CommitAsync(tx.Id, engine.Clock.Now(), default);
        await engine.DisposeAsync();

        // The gid is gone; the audit row proves the commit.
        var again = await OpenAsync();
        await again.CommitAsync(tx.Id, again.Clock.Now(), default);
        Assert.Equal([7L], await Server.QueryAsync(_database, "SELECT v FROM items"));
    }

    [Fact]
    public async Task ReadOnlyTransaction_VotesReadOnly_WithoutPreparingAnythingInPostgres()
    {
        var engine = await OpenAsync();
        var reader = Begin();
        var result = await engine.ApplyAsync(reader, Read("a"), default);
        Assert.Empty(result.AsMap()["rows"].AsList());
        Assert.Equal(VoteKind.ReadOnly, (await engine.PrepareAsync(reader.Id, new PrepareInfo(null), default)).Kind);
        Assert.Empty(await PreparedGidsAsync());
        Assert.Empty(await Server.QueryAsync(_database, "SELECT gid FROM distributed_tx"));
    }

    [Fact]
    public async Task Sql_ReturnsRowsForSelectAndReturning_InTheSqlEngineShape_AndSnapshotReadsRefuseWrites()
    {
        var engine = await OpenAsync();
        var tx = Begin();
        var inserted = await engine.ApplyAsync(tx, Sql("INSERT INTO users (id, name) VALUES ($1, $2), ($3, $4) RETURNING id, name", 1, "Ann", 2, "Bo"), default);
        Assert.Equal(Value.List(Value.From("id"), Value.From("name")), inserted.AsMap()["columns"]);
        Assert.Equal(Value.List(Value.List(Value.From(1L), Value.From("Ann")), Value.List(Value.From(2L), Value.From("Bo"))), inserted.AsMap()["rows"]);
        Assert.Equal(Value.From(2L), inserted.AsMap()["affected"]);
        var updated = await engine.ApplyAsync(tx, Sql("UPDATE users SET name = upper(name) WHERE id > $1", 0), default);
        Assert.Equal(Value.From(2L), updated.AsMap()["affected"]);
        Assert.Empty(updated.AsMap()["rows"].AsList());
        await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), default);

        var read = await engine.ReadAsync(engine.Clock.Now(), Sql("SELECT name FROM users ORDER BY id"), default);
        Assert.Equal(Value.List(Value.List(Value.From("ANN")), Value.List(Value.From("BO"))), read.AsMap()["rows"]);
        var error = await Assert.ThrowsAsync<CohortException>(async () => await engine.ReadAsync(engine.Clock.Now(), Sql("DELETE FROM users"), default));
        Assert.Equal(ErrorCodes.BadOperation, error.Code);
        Assert.Equal([2L], await Server.QueryAsync(_database, "SELECT count(*) FROM users"));
    }

    [Fact]
    public async Task SeedPayload_InsertUpdateUpsertDelete_RunAsParameterizedStatements()
    {
        var engine = await OpenAsync();
        await CommitAsync(engine, Payload("insert", Value.Map(("id", 1L), ("name", "Alice"), ("email", "a@example.com"))));
        await CommitAsync(engine, Payload("update", Value.Map(("name", "Alicia")), Value.Map(("id", 1L))));
        await CommitAsync(engine, Payload("upsert", Value.Map(("id", 2L), ("name", "Bob")), Value.Map(("id", 2L))));
        await CommitAsync(engine, Payload("upsert", Value.Map(("id", 2L), ("name", "Robert")), Value.Map(("id", 2L))));
        Assert.Equal(["Alicia", "Robert"], await Server.QueryAsync(_database, "SELECT name FROM users ORDER BY id"));
        await CommitAsync(engine, Payload("delete", Value.Null, Value.Map(("id", 1L))));
        Assert.Equal(["Robert"], await Server.QueryAsync(_database, "SELECT name FROM users ORDER BY id"));
    }

    [Fact]
    public async Task InjectionAttempt_AsAValueIsStoredVerbatim_AsAnIdentifierIsRefused()
    {
        const string Evil = "'; DROP TABLE users; --";
        var engine = await OpenAsync();
        await CommitAsync(engine, Payload("insert", Value.Map(("id", 1L), ("name", Evil))));
        Assert.Equal([Evil], await Server.QueryAsync(_database, "SELECT name FROM users WHERE id = 1"));

        foreach (var bad in new[]
        {
            Operation.FromValue(Value.Map(("table", Evil), ("operation", "insert"), ("values", Value.Map(("id", 2L))))),
            Operation.FromValue(Value.Map(("table", "users"), ("operation", "insert"), ("values", Value.Map((Evil, 2L))))),
            Operation.FromValue(Value.Map(("table", "users"), ("operation", "update"), ("values", Value.Map(("name", "x"))), ("where", Value.Map((Evil, 1L))))),
        })
        {
            var tx = Begin();
            var error = await Assert.ThrowsAsync<CohortException>(async () => await engine.ApplyAsync(tx, bad, default));
            Assert.Equal(ErrorCodes.BadOperation, error.Code);
            await engine.AbortAsync(tx.Id, default);
        }

        Assert.Equal([1L], await Server.QueryAsync(_database, "SELECT count(*) FROM users"));
    }

    [Fact]
    public async Task ConstraintViolations_AreReportedAsConstraintViolation_NamingTheConstraint()
    {
        var engine = await OpenAsync();
        await CommitAsync(engine, Payload("insert", Value.Map(("id", 1L), ("name", "Ann"), ("email", "a@x"))));

        var duplicate = Begin();
        var error = await Assert.ThrowsAsync<CohortException>(async () => await engine.ApplyAsync(duplicate, Payload("insert", Value.Map(("id", 1L), ("name", "Again"))), default));
        Assert.Equal(ErrorCodes.ConstraintViolation, error.Code);
        Assert.Contains("users_pkey", error.Message, StringComparison.Ordinal);
        Assert.False(error.IsTransient);

        // The failed statement ended the transaction: nothing more runs in it, and prepare says No.
        Assert.Equal(ErrorCodes.Aborted, (await Assert.ThrowsAsync<CohortException>(async () => await engine.ApplyAsync(duplicate, Write("z", 1), default))).Code);
        Assert.Equal(VoteKind.No, (await engine.PrepareAsync(duplicate.Id, new PrepareInfo(null), default)).Kind);

        var check = Begin();
        error = await Assert.ThrowsAsync<CohortException>(async () => await engine.ApplyAsync(check, Write("neg", -1), default));
        Assert.Equal(ErrorCodes.ConstraintViolation, error.Code);
        Assert.Contains("items_v_check", error.Message, StringComparison.Ordinal);

        var syntax = Begin();
        error = await Assert.ThrowsAsync<CohortException>(async () => await engine.ApplyAsync(syntax, Sql("SELEC 1"), default));
        Assert.Equal(ErrorCodes.SqlSyntax, error.Code);
    }

    [Fact]
    public async Task Prepare_CloseEngine_PostgresKeepsBothGids_AndSettlingThemLeavesOneCommittedAuditRow()
    {
        var engine = await OpenAsync();
        var commit = Begin();
        await engine.ApplyAsync(commit, Write("c", 1), default);
        await engine.PrepareAsync(commit.Id, new PrepareInfo(null), default);
        var abort = Begin();
        await engine.ApplyAsync(abort, Write("d", 1), default);
        await engine.PrepareAsync(abort.Id, new PrepareInfo(null), default);
        await engine.DisposeAsync();

        // The engine's process is gone; PostgreSQL still holds both, with their locks.
        Assert.Equal(new[] { engine.GidOf(commit.Id), engine.GidOf(abort.Id) }.Order(StringComparer.Ordinal), (await PreparedGidsAsync()).Order(StringComparer.Ordinal));
        var again = await OpenAsync();
        await again.CommitAsync(commit.Id, again.Clock.Now(), default);
        await again.AbortAsync(abort.Id, default);
        Assert.Empty(await PreparedGidsAsync());
        Assert.Equal(["c"], await Server.QueryAsync(_database, "SELECT id FROM items"));
        await StatusesAsync("committed");
    }

    [Fact]
    public async Task OrphanGid_IsReportedOnlyAfterTheGracePeriod_AndRollsBackOnAbort()
    {
        var engine = await OpenAsync(grace: TimeSpan.FromSeconds(1));
        var orphan = TxId.NewId();
        await Server.ExecuteAsync(_database, $"BEGIN; INSERT INTO items VALUES ('o', 1); PREPARE TRANSACTION '{engine.GidOf(orphan)}'");
        await engine.ScanPreparedAsync();
        Assert.Empty(engine.GetPrepared());

        await Task.Delay(1200);
        await engine.ScanPreparedAsync();
        Assert.Equal([orphan], engine.GetPrepared().Select(p => p.Id));
        await engine.AbortAsync(orphan, default);
        Assert.Empty(await PreparedGidsAsync());
        Assert.Empty(await Server.QueryAsync(_database, "SELECT id FROM items"));
    }

    [Fact]
    public async Task PostgresRestartedBetweenPrepareAndCommit_TheCommitStillLands()
    {
        var engine = await OpenAsync();
        var tx = Begin();
        await engine.ApplyAsync(tx, Write("r", 5), default);
        Assert.Equal(VoteKind.Yes, (await engine.PrepareAsync(tx.Id, new PrepareInfo(null), default)).Kind);

        await Server.RestartAsync();
        Assert.Equal([engine.GidOf(tx.Id)], await PreparedGidsAsync());

        // The pool's connections died with the server; commit gets a fresh one.
        await engine.CommitAsync(tx.Id, engine.Clock.Now(), default);
        Assert.Equal([5L], await Server.QueryAsync(_database, "SELECT v FROM items WHERE id = 'r'"));
        Assert.Empty(await PreparedGidsAsync());

        // And the engine keeps working.
        await CommitAsync(engine, Write("s", 6));
        Assert.Equal([6L], await Server.QueryAsync(_database, "SELECT v FROM items WHERE id = 's'"));
    }

    [Fact]
    public async Task ConcurrentIncrements_AllCommit_AndNoneIsLost()
    {
        var engine = await OpenAsync();
        await CommitAsync(engine, Write("n", 0));
        const int Writers = 16;
        var failures = 0;
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(async _ =>
        {
            for (var attempt = 0; attempt < 20; attempt++)
            {
                var tx = Begin();
                try
                {
                    await engine.ApplyAsync(tx, Sql("UPDATE items SET v = v + 1 WHERE id = 'n'"), default);
                    var vote = await engine.PrepareAsync(tx.Id, new PrepareInfo(null), default);
                    Assert.Equal(VoteKind.Yes, vote.Kind);
                    await engine.CommitAsync(tx.Id, engine.Clock.Now(), default);
                    return;
                }
                catch (CohortException e) when (e.IsTransient)
                {
                    Interlocked.Increment(ref failures);
                    await engine.AbortAsync(tx.Id, default);
                }
            }
        }));
        Assert.Equal([(long)Writers], await Server.QueryAsync(_database, "SELECT v FROM items WHERE id = 'n'"));
    }

    [Fact]
    public async Task RepeatedStatements_ArePreparedOnTheirConnection_UnlessTheDsnTurnsThatOff()
    {
        // One transaction at a time, so every one runs on the same pooled connection: after five runs a statement is
        // prepared there (PostgreSQL lists it in the session's pg_prepared_statements), the audit row's INSERT included.
        var engine = await OpenAsync();
        for (var i = 0; i < 8; i++)
        {
            await CommitTwoPhaseAsync(engine, Write($"p{i}", i));
        }

        var prepared = await PreparedStatementsAsync(engine);
        Assert.Contains(prepared, s => s.StartsWith("INSERT INTO distributed_tx", StringComparison.Ordinal));
        Assert.Contains(prepared, s => s.StartsWith("INSERT INTO items", StringComparison.Ordinal));
        Assert.Equal([8L], await Server.QueryAsync(_database, "SELECT count(*) FROM items WHERE id LIKE 'p%'"));

        // Max Auto Prepare in the DSN wins: 0 prepares nothing.
        var plain = await OpenAsync(dsnSuffix: ";Max Auto Prepare=0");
        for (var i = 0; i < 8; i++)
        {
            await CommitTwoPhaseAsync(plain, Write($"q{i}", i));
        }

        Assert.Empty(await PreparedStatementsAsync(plain));
    }

    [Fact]
    public async Task PreparedSelect_WhoseColumnsChangedWithTheSchema_FailsOnceAsRetryable_ThenRunsAgain()
    {
        var engine = await OpenAsync();
        await CommitAsync(engine, Write("s", 1));
        for (var i = 0; i < 6; i++)
        {
            await engine.ReadAsync(engine.Clock.Now(), Sql("SELECT * FROM items WHERE id = $1", "s"), default);
        }

        Assert.Contains(await PreparedStatementsAsync(engine), s => s.StartsWith("SELECT * FROM items", StringComparison.Ordinal));
        await Server.ExecuteAsync(_database, "ALTER TABLE items ADD COLUMN note text");

        // PostgreSQL refuses a prepared statement whose result columns changed: a clear error the client retries, not a
        // fault of the statement; the retry prepares it afresh and sees the new column.
        var error = await Assert.ThrowsAsync<CohortException>(async () => await engine.ReadAsync(engine.Clock.Now(), Sql("SELECT * FROM items WHERE id = $1", "s"), default));
        Assert.Equal(ErrorCodes.Wounded, error.Code);
        Assert.True(error.IsTransient);
        Assert.Contains("schema change", error.Message, StringComparison.Ordinal);
        var again = await engine.ReadAsync(engine.Clock.Now(), Sql("SELECT * FROM items WHERE id = $1", "s"), default);
        Assert.Equal(Value.List(Value.From("id"), Value.From("v"), Value.From("note")), again.AsMap()["columns"]);
    }

    [Fact]
    public async Task Prepare_BeyondMaxPreparedTransactions_VotesNoAsTransientUnavailable_NamingTheSetting()
    {
        await using var small = await PostgresServer.StartAsync(fsync: false, maxPreparedTransactions: 1);
        var database = await small.CreateDatabaseAsync("small");
        await small.ExecuteAsync(database, "CREATE TABLE items (id text PRIMARY KEY, v bigint NOT NULL)");
        await using var engine = await PostgresEngine.OpenAsync("pg:small", new PostgresOptions { ConnectionString = small.ConnectionString(database), RecoveryInterval = Timeout.InfiniteTimeSpan });
        // Another process holds the server's one prepared-transaction slot (the engine waits only for slots held by its
        // own process's transactions, PostgresPreparedSlotsTests; this one it cannot foresee).
        await small.ExecuteAsync(database, "BEGIN; INSERT INTO items (id, v) VALUES ('a', 1); PREPARE TRANSACTION 'another process'");

        // Not the statement's fault, so not bad_operation (a 400).
        var second = Begin();
        await engine.ApplyAsync(second, Write("b", 2), default);
        var vote = await engine.PrepareAsync(second.Id, new PrepareInfo(null), default);
        Assert.Equal(VoteKind.No, vote.Kind);
        Assert.StartsWith(ErrorCodes.Unavailable + ":", vote.Reason, StringComparison.Ordinal);
        Assert.Contains("53200", vote.Reason, StringComparison.Ordinal);
        Assert.Contains("max_prepared_transactions", vote.Reason, StringComparison.Ordinal);

        await small.ExecuteAsync(database, "COMMIT PREPARED 'another process'");
        Assert.Equal([1L], await small.QueryAsync(database, "SELECT v FROM items"));
    }

    [Fact]
    public async Task Open_WithMaxPreparedTransactionsZero_FailsNamingTheSetting()
    {
        await using var plain = await PostgresServer.StartAsync(fsync: false, maxPreparedTransactions: 0);
        var error = await Assert.ThrowsAsync<CohortException>(() => PostgresEngine.OpenAsync("pg:plain", new PostgresOptions { ConnectionString = plain.ConnectionString() }));
        Assert.Equal(ErrorCodes.PgMisconfigured, error.Code);
        Assert.Contains("max_prepared_transactions", error.Message, StringComparison.Ordinal);
        Assert.Contains("restart PostgreSQL", error.Message, StringComparison.Ordinal);
    }

    private async Task<PostgresEngine> OpenAsync(TimeSpan? grace = null, string dsnSuffix = "")
    {
        var engine = await PostgresEngine.OpenAsync("pg:test", new PostgresOptions
        {
            ConnectionString = Server.ConnectionString(_database) + dsnSuffix,
            OrphanGracePeriod = grace ?? PostgresOptions.DefaultOrphanGracePeriod,
            RecoveryInterval = Timeout.InfiniteTimeSpan,
        });
        _opened.Add(engine);
        return engine;
    }

    // The audit statuses of the database's transactions (written 'committed' inside each transaction, so visible once it commits).
    private async Task StatusesAsync(params string[] expected)
    {
        List<object?> last = [];
        await Wait.UntilAsync(
            async () => (last = await Server.QueryAsync(_database, "SELECT status FROM distributed_tx ORDER BY gid")).SequenceEqual(expected),
            Wait.Long,
            $"audit statuses [{string.Join(", ", expected)}]",
            () => $"[{string.Join(", ", last)}]");
    }

    private async Task<List<string>> PreparedGidsAsync() =>
        [.. (await Server.QueryAsync("postgres", "SELECT gid FROM pg_prepared_xacts WHERE database = $1 ORDER BY gid", _database)).Cast<string>()];

    private static async Task CommitAsync(PostgresEngine engine, Operation operation)
    {
        var tx = Begin();
        await engine.ApplyAsync(tx, operation, default);
        await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), default);
    }

    private static async Task CommitTwoPhaseAsync(PostgresEngine engine, Operation operation)
    {
        var tx = Begin();
        await engine.ApplyAsync(tx, operation, default);
        Assert.Equal(VoteKind.Yes, (await engine.PrepareAsync(tx.Id, new PrepareInfo(null), default)).Kind);
        await engine.CommitAsync(tx.Id, engine.Clock.Now(), default);
    }

    // The statements prepared on the engine's pooled connection (the one a lone reader gets, as every transaction above did).
    private static async Task<List<string>> PreparedStatementsAsync(PostgresEngine engine)
    {
        var result = await engine.ReadAsync(engine.Clock.Now(), Sql("SELECT statement FROM pg_prepared_statements ORDER BY statement"), default);
        return [.. result.AsMap()["rows"].AsList().Select(row => row.AsList()[0].AsString())];
    }

    private static TransactionContext Begin() => new(TxId.NewId(), DateTimeOffset.UtcNow.AddSeconds(60));

    private static Operation Write(string item, int n) =>
        Sql("INSERT INTO items (id, v) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v", item, n);

    private static Operation Read(string item) => Sql("SELECT v FROM items WHERE id = $1", item);

    private static Operation Payload(string operation, Value values, Value where = default) =>
        Operation.FromValue(Value.Map(("table", "users"), ("operation", operation), ("values", values), ("where", where)));

    private static Operation Sql(string text, params Value[] parameters) =>
        Operation.Create("sql", ("sql", text), ("params", Value.List(parameters)));
}
