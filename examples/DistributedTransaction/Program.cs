// The README's client example: one signup as one transaction across four engines on three nodes (a SQL users table
// on sql:app, a profile in kv:users, points in resource:points, a welcome event in queue:events), all or nothing.
//
//   cohort up                                          # a local cluster on 127.0.0.1:7001-7003, then:
//   dotnet run --project examples/DistributedTransaction [-- <node> <node> …]
//
// The code down to the first commit is the README's snippet, line for line (a test checks it). It runs again and again
// against the same cluster: setup happens only when missing, the insert keeps an existing row, and each run mints the
// points it transfers. Then it reads everything back and shows that a transaction failing midway leaves nothing.
using Cohort.Client;
using Cohort.Core;

string[] nodes = args.Length > 0 ? args : ["127.0.0.1:7001", "127.0.0.1:7002"];
using var client = new CohortClient(nodes);   // any nodes; it finds the master

// Once per cluster (safe to run again): the users table, and the points token's symbol and decimals.
await client.BatchAsync([CohortOps.Sql("sql:app", "CREATE TABLE IF NOT EXISTS users (id BIGINT PRIMARY KEY, name TEXT NOT NULL)")]);
try
{
    await client.Snapshot().Resource("resource:points").MetadataAsync();
}
catch (CohortClientException e) when (e.Code == ErrorCodes.BadOperation)   // not initialized yet
{
    await client.BatchAsync([CohortOps.Initialize("resource:points", "PTS", decimals: 2)]);
}

await using (var tx = await client.BeginAsync(TimeSpan.FromSeconds(30), label: "signup"))
{
    await tx.Sql("sql:app").ExecuteAsync("INSERT INTO users VALUES ($1, $2) ON CONFLICT DO NOTHING", [1, "Alice"]);
    await tx.Kv("kv:users").PutAsync("user:alice", Value.Map(("name", "Alice"), ("plan", "free")));
    await tx.Resource("resource:points").MintAsync("treasury", 1000m);
    await tx.Resource("resource:points").TransferAsync("treasury", "alice", 500m);
    await tx.Queue("queue:events").EnqueueAsync("welcome", "alice");
    var committed = await tx.CommitAsync();   // CohortAbortedException says why; CohortInDoubtException carries the TxId
    Console.WriteLine($"committed {committed.TxId}");
}

// Everything is there, read at one snapshot without locks.
var snapshot = client.Snapshot();
var users = await snapshot.Sql("sql:app").QueryAsync("SELECT id, name FROM users WHERE id = $1", [1]);
var profile = await snapshot.Kv("kv:users").GetAsync("user:alice");
var alice = await snapshot.Resource("resource:points").BalanceAsync("alice");
var welcome = await snapshot.Queue("queue:events").SizeAsync("welcome");
Console.WriteLine($"sql:app          users: {string.Join(", ", users)}");
Console.WriteLine($"kv:users         user:alice = {ValueJson.Serialize(profile)}");
Console.WriteLine($"resource:points  alice has {alice} PTS");
Console.WriteLine($"queue:events     welcome holds {welcome} event(s)");

// A transaction that fails midway: nothing of it becomes visible.
await using (var tx = await client.BeginAsync(TimeSpan.FromSeconds(30), label: "signup bob"))
{
    await tx.Sql("sql:app").ExecuteAsync("INSERT INTO users VALUES ($1, $2) ON CONFLICT DO NOTHING", [2, "Bob"]);
    await tx.Kv("kv:users").PutAsync("user:bob", Value.Map(("name", "Bob")));
    try
    {
        await tx.Resource("resource:points").TransferAsync("treasury", "bob", 1_000_000_000m);
        await tx.CommitAsync();
    }
    catch (CohortClientException e) when (e.Code == ErrorCodes.InsufficientFunds)
    {
        Console.WriteLine($"bob's signup failed midway ({e.Code}); disposing the transaction aborts it");
    }
}

var after = client.Snapshot();
var bob = await after.Kv("kv:users").GetAsync("user:bob");
var bobRows = await after.Sql("sql:app").QueryAsync("SELECT id FROM users WHERE id = $1", [2]);
Console.WriteLine($"after the failed transaction: user:bob {(bob.IsNull ? "missing" : "present")}, {bobRows.Count} row(s) for bob");

var ok = users.Count == 1 && profile.Kind == ValueKind.Map && alice >= 500m && welcome >= 1 && bob.IsNull && bobRows.Count == 0;
Console.WriteLine(ok ? "ok" : "FAILED: see above");
return ok ? 0 : 1;
