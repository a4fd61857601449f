using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Configuration;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Hosting;
using Orleans.Runtime.Placement;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.Transactions;
using Orleans.Transactions.Abstractions;

namespace Cohort.Peers;

/// <summary>An account whose balance is transactional state; its calls join the caller's transaction.</summary>
public interface IAccountGrain : IGrainWithIntegerKey
{
    [Transaction(TransactionOption.Join)]
    Task Withdraw(long amount);

    [Transaction(TransactionOption.Join)]
    Task Deposit(long amount);

    [Transaction(TransactionOption.CreateOrJoin)]
    Task<long> GetBalance();
}

/// <summary>The balance (every account starts with 1,000,000).</summary>
[GenerateSerializer]
public sealed class Balance
{
    [Id(0)]
    public long Value { get; set; } = 1_000_000;
}

/// <summary>The account grain: Orleans Transactions' <see cref="ITransactionalState{TState}"/> over the "accounts" grain storage.</summary>
[AccountPlacement]
public sealed class AccountGrain : Grain, IAccountGrain
{
    private readonly ITransactionalState<Balance> _balance;

    public AccountGrain([TransactionalState("balance", "accounts")] ITransactionalState<Balance> balance) => _balance = balance;

    public Task Withdraw(long amount) => _balance.PerformUpdate(b =>
    {
        if (b.Value < amount)
        {
            throw new InvalidOperationException($"balance {b.Value} < {amount}");
        }

        b.Value -= amount;
    });

    public Task Deposit(long amount) => _balance.PerformUpdate(b => b.Value += amount);

    public Task<long> GetBalance() => _balance.PerformRead(b => b.Value);
}

/// <summary>Places account n on the n mod 2-th silo (by silo port), so that a transfer between 2c and 2c+1 crosses silos.</summary>
[GenerateSerializer]
public sealed class AccountPlacementStrategy : PlacementStrategy
{
}

/// <summary>Marks a grain class for <see cref="AccountPlacementStrategy"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class AccountPlacementAttribute : PlacementAttribute
{
    public AccountPlacementAttribute()
        : base(new AccountPlacementStrategy())
    {
    }
}

/// <summary>The director of <see cref="AccountPlacementStrategy"/>.</summary>
public sealed class AccountPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var silos = context.GetCompatibleSilos(target).OrderBy(s => s.Endpoint.Port).ToArray();
        var key = target.GrainIdentity.GetIntegerKey();
        return Task.FromResult(silos[(int)(key % silos.Length)]);
    }
}

/// <summary>
/// Grain storage in PostgreSQL: one row per grain state, an etag checked on every write (Orleans' optimistic
/// concurrency), the state in Orleans' binary serialization. Each write is one autocommit statement, so with
/// <c>synchronous_commit = on</c> (PostgreSQL's default) it is on disk (WAL fsynced) before the write returns.
/// This stands in for Microsoft.Orleans.Persistence.AdoNet, whose PostgreSQL schema scripts are not in its package.
/// </summary>
public sealed class PostgresGrainStorage(NpgsqlDataSource db, Serializer serializer, string name) : IGrainStorage
{
    public const string Schema = "CREATE TABLE IF NOT EXISTS orleans_state (grain_id text NOT NULL, state_name text NOT NULL, etag bigint NOT NULL, payload bytea NOT NULL, PRIMARY KEY (grain_id, state_name))";

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await using var cmd = db.CreateCommand("SELECT etag, payload FROM orleans_state WHERE grain_id = $1 AND state_name = $2");
        cmd.Parameters.Add(new NpgsqlParameter { Value = grainId.ToString() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = $"{name}/{stateName}" });
        await using var reader = await cmd.ExecuteReaderAsync().ConfigureAwait(false);
        if (await reader.ReadAsync().ConfigureAwait(false))
        {
            grainState.ETag = reader.GetInt64(0).ToString(System.Globalization.CultureInfo.InvariantCulture);
            grainState.State = serializer.Deserialize<T>((byte[])reader.GetValue(1));
            grainState.RecordExists = true;
        }
        else
        {
            grainState.ETag = null;
            grainState.State = Activator.CreateInstance<T>();
            grainState.RecordExists = false;
        }
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var payload = serializer.SerializeToArray(grainState.State);
        long next;
        NpgsqlCommand cmd;
        if (grainState.ETag is null)
        {
            next = 1;
            cmd = db.CreateCommand("INSERT INTO orleans_state (grain_id, state_name, etag, payload) VALUES ($1, $2, 1, $3) ON CONFLICT DO NOTHING");
        }
        else
        {
            var etag = long.Parse(grainState.ETag, System.Globalization.CultureInfo.InvariantCulture);
            next = etag + 1;
            cmd = db.CreateCommand("UPDATE orleans_state SET etag = etag + 1, payload = $3 WHERE grain_id = $1 AND state_name = $2 AND etag = $4");
            cmd.Parameters.Add(new NpgsqlParameter { Value = etag });
        }

        await using (cmd.ConfigureAwait(false))
        {
            cmd.Parameters.Insert(0, new NpgsqlParameter { Value = grainId.ToString() });
            cmd.Parameters.Insert(1, new NpgsqlParameter { Value = $"{name}/{stateName}" });
            cmd.Parameters.Insert(2, new NpgsqlParameter { Value = payload });
            if (await cmd.ExecuteNonQueryAsync().ConfigureAwait(false) != 1)
            {
                throw new InconsistentStateException($"etag mismatch for {grainId}", grainState.ETag ?? "(none)", "?");
            }
        }

        grainState.ETag = next.ToString(System.Globalization.CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await using var cmd = db.CreateCommand("DELETE FROM orleans_state WHERE grain_id = $1 AND state_name = $2");
        cmd.Parameters.Add(new NpgsqlParameter { Value = grainId.ToString() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = $"{name}/{stateName}" });
        await cmd.ExecuteNonQueryAsync().ConfigureAwait(false);
        grainState.ETag = null;
        grainState.State = Activator.CreateInstance<T>();
        grainState.RecordExists = false;
    }
}

/// <summary>
/// The Orleans peer: two silos in this process on loopback (development clustering, silo 0 the primary), transactions
/// on, accounts 2c and 2c+1 of client c on different silos, and a client (in this process, through silo 0's gateway)
/// whose transfer is <c>ITransactionClient.RunTransaction(Create, withdraw ‖ deposit)</c>.
/// </summary>
internal static class OrleansPeer
{
    public static async Task<int> RunAsync(int[] clientCounts, TimeSpan warmup, TimeSpan duration, TimeSpan warm, string? dsn, int basePort)
    {
        NpgsqlDataSource? db = null;
        if (dsn is not null)
        {
            db = new NpgsqlDataSourceBuilder(dsn) { ConnectionStringBuilder = { MaxPoolSize = 100 } }.Build();
            await using var create = db.CreateCommand(PostgresGrainStorage.Schema);
            await create.ExecuteNonQueryAsync().ConfigureAwait(false);
            await using var sync = db.CreateCommand("SHOW synchronous_commit");
            await Console.Error.WriteLineAsync($"orleans: grain storage in PostgreSQL, synchronous_commit = {await sync.ExecuteScalarAsync().ConfigureAwait(false)}").ConfigureAwait(false);
        }

        var durability = db is null ? "not durable (memory grain storage)" : "durable (PostgreSQL grain storage, synchronous_commit=on)";
        var primary = new IPEndPoint(IPAddress.Loopback, basePort);
        var silos = new List<IHost>();
        for (var i = 0; i < 2; i++)
        {
            var index = i;
            var silo = new HostBuilder()
                .UseOrleans(b =>
                {
                    b.UseLocalhostClustering(basePort + index, basePort + 10 + index, primary, "cohort-peers", "cohort-peers");
                    b.Configure<EndpointOptions>(o => o.AdvertisedIPAddress = IPAddress.Loopback);
                    b.UseTransactions();
                    b.AddPlacementDirector<AccountPlacementStrategy, AccountPlacementDirector>();
                    if (db is not null)
                    {
                        b.Services.AddGrainStorage("accounts", (sp, name) => new PostgresGrainStorage(db, sp.GetRequiredService<Serializer>(), name));
                    }
                    else
                    {
                        b.AddMemoryGrainStorage("accounts");
                    }
                })
                .ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning).AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace))
                .Build();
            await silo.StartAsync().ConfigureAwait(false);
            silos.Add(silo);
        }

        var client = new HostBuilder()
            .UseOrleansClient(c => c.UseLocalhostClustering([basePort + 10, basePort + 11], "cohort-peers", "cohort-peers").UseTransactions())
            .ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning).AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace))
            .Build();
        await client.StartAsync().ConfigureAwait(false);
        try
        {
            var grains = client.Services.GetRequiredService<IClusterClient>();
            var transactions = client.Services.GetRequiredService<ITransactionClient>();
            var run = 0;
            foreach (var count in clientCounts)
            {
                // A negative count is the unreported warm run: |count| clients for --warm, its line on stderr.
                var n = Math.Abs(count);
                var (runWarmup, runDuration) = count < 0 ? (TimeSpan.Zero, warm) : (warmup, duration);

                // Fresh accounts for each client count (a run's accounts are 1000·run + 2c and + 2c+1).
                var first = 1000L * ++run;
                var result = await ClosedLoop.RunAsync("orleans", durability, n, runWarmup, runDuration, async (c, i) =>
                {
                    var a = grains.GetGrain<IAccountGrain>(first + (2 * c));
                    var b = grains.GetGrain<IAccountGrain>(first + (2 * c) + 1);
                    var (from, to) = i % 2 == 0 ? (a, b) : (b, a);
                    try
                    {
                        await transactions.RunTransaction(TransactionOption.Create, () => Task.WhenAll(from.Withdraw(1), to.Deposit(1))).ConfigureAwait(false);
                        return true;
                    }
                    catch (OrleansTransactionException)
                    {
                        return false;
                    }
                }).ConfigureAwait(false);
                ClosedLoop.Report(count, result);

                // The money is all there: each pair still holds 2,000,000.
                long total = 0;
                for (var c = 0; c < n; c++)
                {
                    total += await grains.GetGrain<IAccountGrain>(first + (2 * c)).GetBalance().ConfigureAwait(false)
                        + await grains.GetGrain<IAccountGrain>(first + (2 * c) + 1).GetBalance().ConfigureAwait(false);
                }

                if (total != 2_000_000L * n)
                {
                    await Console.Error.WriteLineAsync($"orleans: balances sum to {total}, expected {2_000_000L * n}").ConfigureAwait(false);
                    return 1;
                }
            }
        }
        finally
        {
            await client.StopAsync().ConfigureAwait(false);
            client.Dispose();
            foreach (var silo in Enumerable.Reverse(silos))
            {
                await silo.StopAsync().ConfigureAwait(false);
                silo.Dispose();
            }

            if (db is not null)
            {
                await db.DisposeAsync().ConfigureAwait(false);
            }
        }

        return 0;
    }
}
