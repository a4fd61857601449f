namespace Cohort.Tests.Engines.Sql.Engine;

/// <summary>Predicate locks make read-write SQL transactions serializable (phantoms, write skew, duplicate inserts).</summary>
public sealed class SqlSerializabilityTests : IAsyncLifetime
{
    private static readonly TimeSpan LongWait = TimeSpan.FromSeconds(30);
    private readonly SqlTestDatabase _db = new();

    public async Task InitializeAsync()
    {
        await _db.ScriptAsync("""
            CREATE TABLE accounts (id BIGINT PRIMARY KEY, owner TEXT, balance BIGINT);
            CREATE INDEX accounts_owner ON accounts (owner);
            INSERT INTO accounts VALUES (1, 'ann', 10), (2, 'ann', 20), (3, 'bob', 30), (20, 'cid', 40);
            CREATE TABLE doctors (name TEXT PRIMARY KEY, on_call BOOLEAN NOT NULL, shift INTEGER NOT NULL);
            INSERT INTO doctors VALUES ('alice', TRUE, 1), ('bob', TRUE, 1)
            """);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task Phantom_OlderReaderOfARange_BlocksAYoungerInsertIntoIt_ButNotOneOutsideIt()
    {
        var reader = SqlTestDatabase.Begin();
        var writer = SqlTestDatabase.Begin();
        var outside = SqlTestDatabase.Begin();
        Assert.Equal(3, (await _db.InAsync(reader, "SELECT count(*) FROM accounts WHERE id BETWEEN 1 AND 10")).Scalar.AsInt64());

        var insert = _db.InAsync(writer, "INSERT INTO accounts VALUES (5, 'dan', 1)");
        await AssertStillPendingAsync(insert);

        // A key outside the locked range is not blocked.
        await _db.InAsync(outside, "INSERT INTO accounts VALUES (50, 'eve', 1)");
        await _db.Engine.CommitOnePhaseAsync(outside.Id, _db.Engine.Clock.Now(), default);

        Assert.Equal(3, (await _db.InAsync(reader, "SELECT count(*) FROM accounts WHERE id BETWEEN 1 AND 10")).Scalar.AsInt64());
        await _db.Engine.CommitOnePhaseAsync(reader.Id, _db.Engine.Clock.Now(), default);

        await insert.WaitAsync(LongWait);
        await _db.Engine.CommitOnePhaseAsync(writer.Id, _db.Engine.Clock.Now(), default);
        Assert.Equal(4, (await _db.QueryAsync("SELECT count(*) FROM accounts WHERE id BETWEEN 1 AND 10")).Scalar.AsInt64());
    }

    [Fact]
    public async Task Phantom_OlderInserterIntoAnIndexRange_WoundsTheYoungerReader()
    {
        var writer = SqlTestDatabase.Begin();
        var reader = SqlTestDatabase.Begin();
        Assert.Equal(2, (await _db.InAsync(reader, "SELECT count(*) FROM accounts WHERE owner = 'ann'")).Scalar.AsInt64());
        await _db.InAsync(writer, "INSERT INTO accounts VALUES (6, 'ann', 1)");

        // The reader saw two of ann's accounts; it can no longer commit that view.
        var e = await Assert.ThrowsAsync<CohortException>(() => _db.Engine.CommitOnePhaseAsync(reader.Id, _db.Engine.Clock.Now(), default).AsTask());
        Assert.NotNull(e.Code);
        await _db.Engine.CommitOnePhaseAsync(writer.Id, _db.Engine.Clock.Now(), default);
        Assert.Equal(3, (await _db.QueryAsync("SELECT count(*) FROM accounts WHERE owner = 'ann'")).Scalar.AsInt64());
    }

    [Fact]
    public async Task WriteSkew_TwoOnCallDoctors_OnlyOneMayLeave()
    {
        var t1 = SqlTestDatabase.Begin();
        var t2 = SqlTestDatabase.Begin();
        Assert.Equal(2, (await _db.InAsync(t1, "SELECT count(*) FROM doctors WHERE on_call AND shift = 1")).Scalar.AsInt64());
        Assert.Equal(2, (await _db.InAsync(t2, "SELECT count(*) FROM doctors WHERE on_call AND shift = 1")).Scalar.AsInt64());

        async Task<bool> LeaveAsync(TransactionContext tx, string name)
        {
            try
            {
                await _db.InAsync(tx, "UPDATE doctors SET on_call = FALSE WHERE name = $1", name);
                await _db.Engine.CommitOnePhaseAsync(tx.Id, _db.Engine.Clock.Now(), default);
                return true;
            }
            catch (CohortException)
            {
                await _db.Engine.AbortAsync(tx.Id, default);
                return false;
            }
        }

        var results = await Task.WhenAll(LeaveAsync(t1, "alice"), LeaveAsync(t2, "bob")).WaitAsync(LongWait);
        Assert.Equal(1, results.Count(committed => committed));
        Assert.Equal(1, (await _db.QueryAsync("SELECT count(*) FROM doctors WHERE on_call")).Scalar.AsInt64());
    }

    [Fact]
    public async Task ConcurrentInsertsOfOnePrimaryKey_ExactlyOneCommits()
    {
        const int Writers = 8;
        async Task<bool> InsertAsync(int n)
        {
            var tx = SqlTestDatabase.Begin();
            try
            {
                await _db.InAsync(tx, "INSERT INTO accounts VALUES (42, $1, 0)", $"w{n}");
                await _db.Engine.CommitOnePhaseAsync(tx.Id, _db.Engine.Clock.Now(), default);
                return true;
            }
            catch (CohortException)
            {
                await _db.Engine.AbortAsync(tx.Id, default);
                return false;
            }
        }

        var results = await Task.WhenAll(Enumerable.Range(0, Writers).Select(n => Task.Run(() => InsertAsync(n)))).WaitAsync(LongWait);
        Assert.Equal(1, results.Count(committed => committed));
        Assert.Equal(1, (await _db.QueryAsync("SELECT count(*) FROM accounts WHERE id = 42")).Scalar.AsInt64());
    }

    [Fact]
    public async Task ReadOnlySnapshotQueries_TakeNoLocks_AndDoNotBlockWriters()
    {
        var writer = SqlTestDatabase.Begin();
        await _db.InAsync(writer, "UPDATE accounts SET balance = 0 WHERE id = 1");
        Assert.Equal(10, (await _db.QueryAsync("SELECT balance FROM accounts WHERE id = 1")).Scalar.AsInt64());
        Assert.Equal(100, (await _db.QueryAsync("SELECT sum(balance) FROM accounts")).Scalar.AsInt64());
        await _db.Engine.CommitOnePhaseAsync(writer.Id, _db.Engine.Clock.Now(), default);
        Assert.Equal(0, (await _db.QueryAsync("SELECT balance FROM accounts WHERE id = 1")).Scalar.AsInt64());
        Assert.Equal(0, _db.Engine.Locks.LockedSpaceCount);
    }

    private static async Task AssertStillPendingAsync(Task task)
    {
        // Give the task every chance to (wrongly) complete; a correct engine keeps it waiting.
        var winner = await Task.WhenAny(task, Task.Delay(TimeSpan.FromMilliseconds(200)));
        Assert.NotSame(task, winner);
    }
}
