// The distributed transaction example of the README, written with Cohort.Client.
//
//   cohort up                                   # a local cluster: 127.0.0.1:7001-7003
//   dotnet run --project examples/DistributedTransaction [-- 127.0.0.1:7001,127.0.0.1:7002]
//
// One transaction creates a SQL users table and inserts Alice (sql:app), stores her profile and preferences in KV
// (kv:users), mints 1000 points and transfers 500 to her (resource:points) and enqueues a welcome event
// (queue:events): four engines on three nodes, all or nothing. A second transaction fails midway and leaves nothing.
using System.Globalization;
using Cohort.Client;
using Cohort.Core;

var addresses = args.Length > 0 ? args[0].Split(',') : ["127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003"];
using var client = new CohortClient(new CohortClientOptions
{
    Addresses = addresses,
    AuthToken = Environment.GetEnvironmentVariable("COHORT_AUTH_TOKEN"),
});

// Run it twice against the same cluster and it signs up a new user each time.
var run = DateTime.UtcNow.ToString("HHmmssfff", CultureInfo.InvariantCulture);
var user = "alice" + run;
var table = "users_" + run;

// The points token needs a symbol once; a snapshot read says whether it has one.
var initialized = true;
try
{
    await client.Snapshot().Resource("resource:points").MetadataAsync();
}
catch (CohortClientException e) when (e.Code == ErrorCodes.BadOperation)
{
    initialized = false;
}

await using (var tx = await client.BeginAsync(TimeSpan.FromSeconds(30), label: "signup"))
{
    await tx.Sql("sql:app").ExecuteAsync($"CREATE TABLE {table} (id BIGINT PRIMARY KEY, name TEXT NOT NULL)");
    await tx.Sql("sql:app").ExecuteAsync($"INSERT INTO {table} VALUES ($1, $2)", 1, "Alice");

    var kv = tx.Kv("kv:users");
    await kv.PutAsync($"user:{user}", Value.Map(("name", "Alice"), ("email", "alice@example.com")));
    await kv.PutAsync($"prefs:{user}", Value.Map(("theme", "dark"), ("newsletter", true)));

    var points = tx.Resource("resource:points");
    if (!initialized)
    {
        await points.InitializeAsync("PTS", decimals: 2);
    }

    await points.MintAsync("treasury", 1000m);
    await points.TransferAsync("treasury", user, 500m);

    await tx.Queue("queue:events").EnqueueAsync("welcome", user);

    var committed = await tx.CommitAsync();
    Console.WriteLine($"committed {committed.TxId}");
}

// Everything is there, read at one snapshot without locks.
var snapshot = client.Snapshot();
var rows = await snapshot.Sql("sql:app").QueryAsync($"SELECT id, name FROM {table}");
Console.WriteLine($"sql:app         {table}: {string.Join(", ", rows)}");
Console.WriteLine($"kv:users        user:{user} = {ValueJson.Serialize(await snapshot.Kv("kv:users").GetAsync($"user:{user}"))}");
Console.WriteLine($"resource:points {user} has {await snapshot.Resource("resource:points").BalanceAsync(user)} PTS");
Console.WriteLine($"queue:events    welcome has {await snapshot.Queue("queue:events").SizeAsync("welcome")} event(s)");

// A transaction that fails midway: nothing of it becomes visible.
await using (var tx = await client.BeginAsync(TimeSpan.FromSeconds(30), label: "signup bob"))
{
    await tx.Sql("sql:app").ExecuteAsync($"INSERT INTO {table} VALUES ($1, $2)", 2, "Bob");
    await tx.Kv("kv:users").PutAsync($"user:bob{run}", "Bob");
    try
    {
        await tx.Resource("resource:points").TransferAsync("nobody", $"bob{run}", 1_000_000m);
        await tx.CommitAsync();
    }
    catch (CohortClientException e) when (e.Code == ErrorCodes.InsufficientFunds)
    {
        Console.WriteLine($"bob's signup failed midway ({e.Code}); disposing the transaction aborts it");
    }
}

var after = client.Snapshot();
var bob = await after.Kv("kv:users").GetAsync($"user:bob{run}");
var count = await after.Sql("sql:app").QueryAsync($"SELECT COUNT(*) AS n FROM {table}");
Console.WriteLine($"after the failed transaction: user:bob = {(bob.IsNull ? "missing" : bob)}, {table} has {count[0]["n"]} row(s)");
return bob.IsNull && count[0]["n"] == 1 ? 0 : 1;
