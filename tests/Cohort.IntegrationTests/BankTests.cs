using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Cohort.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests;

/// <summary>
/// Issue 5, "bank test": accounts on three nodes, 16 concurrent clients making random transfers through
/// <c>/v1/batch</c> (entering at any node) while a killer SIGKILLs and restarts a random non-master node every few
/// seconds. Every transfer also writes a marker <c>t:&lt;id&gt;</c> on the ledger of its destination node, so that
/// afterwards the test knows exactly which transfers took effect. Then: nothing unsettled 30 s after the last restart,
/// no balance negative, the total conserved, every balance equal to the initial one plus the transfers whose marker
/// exists, every transfer a client saw committed applied and none it saw aborted.
/// </summary>
/// <remarks>
/// <c>COHORT_BANK_SECONDS</c> sets the load duration (default 60), <c>COHORT_BANK_SETTLE_SECONDS</c> the time allowed to
/// settle after the last restart (default 30), <c>COHORT_BANK_SEED</c> the random seed; <c>COHORT_BANK_KILL_MASTER=1</c>
/// lets the killer pick the master (the coordinator) too.
/// </remarks>
[Trait("Category", "Integration")]
[Trait("Category", "Slow")]
[Collection(RunsAlone.Name)]
public sealed class BankTests(ITestOutputHelper output)
{
    private const int Banks = 3;
    private const int AccountsPerBank = 4;
    private const int Clients = 16;
    private const decimal Initial = 1000m;
    private const int TimeoutMs = 10_000;
    private const int FailoverTimeoutMs = 5_000;

    // What the killer does while the clients run.
    private enum Nemesis
    {
        // Kill and restart random nodes (the master too with COHORT_BANK_KILL_MASTER=1).
        Restarts,

        // Kill the master once and bring it back later.
        MasterKilledOnce,

        // etcd backend: SIGSTOP the master for longer than its lease, then SIGCONT.
        MasterPaused,

        // etcd backend: kill and restart random nodes (the master included), pause them past their lease, and kill and
        // restart etcd members.
        Chaos,
    }

    // The etcd backend's lease TTL in these runs (etcd's minimum at its default election timeout).
    private static readonly TimeSpan LeaseTtl = TimeSpan.FromSeconds(2);

    [Fact]
    public Task Transfers_WhileNodesAreKilledAndRestarted_ConserveMoneyAndMatchWhatClientsWereTold() =>
        RunAsync(Nemesis.Restarts, TimeSpan.FromSeconds(TestSettings.Int("COHORT_BANK_SECONDS", 60)));

    /// <summary>
    /// Issue 19, with the etcd backend (a real 3-member etcd): the master is stopped (SIGSTOP) for three lease TTLs while
    /// 16 clients run transfers through any node; another node leads meanwhile; resumed, the old master must not lead or
    /// record anything, and the bank invariants hold (nothing told committed is lost, nothing told aborted applied).
    /// </summary>
    [Fact]
    [Trait("Category", "Etcd")]
    public Task EtcdBackend_MasterPausedLongerThanItsLease_ANewLeaderServes_AndTheOldOneRecordsNothing() =>
        RunAsync(Nemesis.MasterPaused, TimeSpan.FromSeconds(TestSettings.Int("COHORT_FAILOVER_SECONDS", 20)));

    /// <summary>
    /// Issue 19: the bank test with the etcd backend while a nemesis kills, restarts and pauses nodes (the master
    /// included) and kills and restarts etcd members; the invariants above hold and nothing is in doubt at the end.
    /// </summary>
    [Fact]
    [Trait("Category", "Etcd")]
    public Task EtcdBackend_NodesKilledAndPausedAndEtcdMembersRestarted_ConserveMoneyAndMatchWhatClientsWereTold() =>
        RunAsync(Nemesis.Chaos, TimeSpan.FromSeconds(TestSettings.Int("COHORT_BANK_SECONDS", 60)));

    /// <summary>
    /// Issue 6: the master is killed while 16 clients run transfers through whichever nodes are up; the next master
    /// (elected within 3 heartbeat intervals of 500 ms) serves them, the old master comes back later and finishes
    /// what it had decided, and the bank invariants above hold.
    /// </summary>
    [Fact]
    public Task MasterKilledUnderLoad_ClientsContinueThroughTheNewMaster_AndTheBankInvariantHolds() =>
        RunAsync(Nemesis.MasterKilledOnce, TimeSpan.FromSeconds(TestSettings.Int("COHORT_FAILOVER_SECONDS", 20)));

    private async Task RunAsync(Nemesis nemesis, TimeSpan duration)
    {
        var failover = nemesis != Nemesis.Restarts;
        await using var etcd = nemesis is Nemesis.MasterPaused or Nemesis.Chaos ? await EtcdCluster.StartAsync(3) : null;
        string[] etcdArguments = etcd is null ? [] :
            ["--etcd", etcd.Endpoints, "--etcd-prefix", "/cohort-bank/" + Guid.NewGuid().ToString("N")[..8], "--lease-ttl", $"{LeaseTtl.TotalSeconds:0}s"];
        var settle = TimeSpan.FromSeconds(TestSettings.Int("COHORT_BANK_SETTLE_SECONDS", 30));
        var seed = TestSettings.Int("COHORT_BANK_SEED", Environment.TickCount & 0x7fffffff);
        var firstVictim = TestSettings.Int("COHORT_BANK_KILL_MASTER", 0) == 1 ? 0 : 1;
        var timeoutMs = failover ? FailoverTimeoutMs : TimeoutMs;
        output.WriteLine(failover
            ? $"failover bank test ({nemesis}): {duration.TotalSeconds:0}s of load, {Clients} clients, seed {seed}"
            : $"bank test: {duration.TotalSeconds:0}s of load, {Clients} clients, settle {settle.TotalSeconds:0}s, seed {seed}, killing {(firstVictim == 0 ? "any node" : "non-master nodes")}");

        await using var cluster = failover
            ? await TestCluster.StartAsync([.. Enumerable.Range(0, Banks).Select(i => new[] { Bank(i), Ledger(i) })], output, heartbeat: "500ms", misses: 2, nodeArguments: etcdArguments)
            : await TestCluster.StartAsync([.. Enumerable.Range(0, Banks).Select(i => new[] { Bank(i), Ledger(i) })], output);
        for (var i = 0; i < Banks; i++)
        {
            await cluster.BatchOkAsync([
                Ops.On(Bank(i), Ops.Initialize("BNK", 2)),
                .. Enumerable.Range(0, AccountsPerBank).Select(a => Ops.On(Bank(i), Ops.Mint(Account(a), Initial))),
            ]);
        }

        await cluster.WaitSettledAsync();
        var transfers = new ConcurrentBag<Transfer>();
        var stopwatch = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource(duration);
        var restarts = 0;
        var lastRestart = DateTime.UtcNow;
        var masterKilledAt = DateTime.MaxValue;
        // Every 2–5 s until the load stops: one nemesis action, counted as a restart.
        Task RandomlyAsync(Func<Random, Task> act) => Task.Run(async () =>
        {
            var random = new Random(seed);
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(random.Next(2000, 5000)), stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                await act(random);
                lastRestart = DateTime.UtcNow;
                Interlocked.Increment(ref restarts);
            }
        });

        var killer = nemesis switch
        {
            Nemesis.MasterKilledOnce => Task.Run(async () =>
            {
                // Once, a third into the run: kill the master, let the others take over, bring it back.
                await Task.Delay(duration / 3, CancellationToken.None);
                masterKilledAt = DateTime.UtcNow;
                await cluster.Master.KillAsync();
                cluster.Log("killer: killed the master");
                await Task.Delay(TimeSpan.FromSeconds(4), CancellationToken.None);
                await cluster.Master.StartAsync();
                lastRestart = DateTime.UtcNow;
                Interlocked.Increment(ref restarts);
                cluster.Log("killer: restarted the old master");
            }),
            Nemesis.MasterPaused => Task.Run(async () =>
            {
                // Once, a third into the run: stop the master for three lease TTLs; someone else must lead meanwhile.
                await Task.Delay(duration / 3, CancellationToken.None);
                var old = await cluster.LeaderAsync() ?? throw new Xunit.Sdk.XunitException("no leader before the pause");
                masterKilledAt = DateTime.UtcNow;
                await old.SignalAsync(pause: true);
                cluster.Log($"killer: paused the master {old}");
                await Wait.UntilAsync(async () => await cluster.LeaderAsync() is { } l && l != old, 4 * LeaseTtl, "another node to lead while the master is paused");
                cluster.Log($"killer: {await cluster.LeaderAsync()} leads");
                await Task.Delay(Math.Max(0, (int)((3 * LeaseTtl) - (DateTime.UtcNow - masterKilledAt)).TotalMilliseconds), CancellationToken.None);
                await old.SignalAsync(pause: false);
                lastRestart = DateTime.UtcNow;
                Interlocked.Increment(ref restarts);
                cluster.Log($"killer: resumed {old}");

                // Resumed, it knows its lease is gone: it never claims leadership again while the other holds it.
                for (var i = 0; i < 20; i++)
                {
                    var role = await cluster.Api.GetAsync(old, "role");
                    Assert.True(role.Body["leader"]?.GetValue<bool>() != true, $"the resumed master still leads: {role}");
                    await Task.Delay(100, CancellationToken.None);
                }
            }),
            Nemesis.Chaos => RandomlyAsync(async random =>
            {
                var action = random.Next(3);
                if (action == 2)
                {
                    var member = random.Next(etcd!.Count);
                    await etcd.KillAsync(member);
                    cluster.Log($"killer: killed etcd m{member + 1}");
                    await Task.Delay(random.Next(500, 3000), CancellationToken.None);
                    etcd.Restart(member);
                    cluster.Log($"killer: restarted etcd m{member + 1}");
                    return;
                }

                var victim = cluster.Nodes[random.Next(cluster.Nodes.Count)];
                if (action == 0)
                {
                    await victim.KillAsync();
                    await Task.Delay(random.Next(0, 500), CancellationToken.None);
                    await victim.StartAsync();
                    cluster.Log($"killer: restarted {victim}");
                }
                else
                {
                    await victim.SignalAsync(pause: true);
                    await Task.Delay(random.Next((int)LeaseTtl.TotalMilliseconds, 3 * (int)LeaseTtl.TotalMilliseconds), CancellationToken.None);
                    await victim.SignalAsync(pause: false);
                    cluster.Log($"killer: paused and resumed {victim}");
                }
            }),
            _ => RandomlyAsync(async random =>
            {
                var victim = cluster.Nodes[random.Next(firstVictim, cluster.Nodes.Count)];
                await victim.KillAsync();
                await Task.Delay(random.Next(0, 500));
                await victim.StartAsync();
                cluster.Log($"killer: restarted {victim}");
            }),
        };
        var clients = Enumerable.Range(0, Clients).Select(c => Task.Run(() => RunClientAsync(cluster, new Random(seed + 1 + c), transfers, failover, timeoutMs, stop.Token))).ToList();
        await Task.WhenAll(clients);
        await killer;
        var loadTime = stopwatch.Elapsed;

        // Every node back, then nothing may stay unsettled 30 s after the last restart.
        foreach (var node in cluster.Nodes.Where(n => !n.IsRunning))
        {
            await node.StartAsync();
            lastRestart = DateTime.UtcNow;
        }

        if (etcd is not null)
        {
            await etcd.WaitHealthyAsync();
        }

        await cluster.WaitAllAliveAsync();
        var budget = lastRestart + settle - DateTime.UtcNow;
        await cluster.WaitSettledAsync(budget > TimeSpan.FromSeconds(1) ? budget : TimeSpan.FromSeconds(1));
        var settledAfter = DateTime.UtcNow - lastRestart;
        Assert.Empty(await cluster.ListAsync("in-doubt"));

        // Balances: none negative, total conserved.
        var accounts = Enumerable.Range(0, Banks).SelectMany(b => Enumerable.Range(0, AccountsPerBank).Select(a => (Bank: b, Account: a))).ToList();
        var (balanceResults, _) = await cluster.ReadAsync(null, [.. accounts.Select(x => Ops.On(Bank(x.Bank), Ops.Balance(Account(x.Account))))]);
        var balances = accounts.Select((x, i) => (x.Bank, x.Account, Balance: Ops.Decimal(balanceResults[i]))).ToList();
        var (supplies, _) = await cluster.ReadAsync(null, [.. Enumerable.Range(0, Banks).Select(b => Ops.On(Bank(b), new JsonObject { ["supply"] = new JsonObject() }))]);
        output.WriteLine("balances: " + string.Join(", ", balances.Select(b => $"{Bank(b.Bank)}/{Account(b.Account)}={b.Balance}")));
        Assert.All(balances, b => Assert.True(b.Balance >= 0, $"{Bank(b.Bank)}/{Account(b.Account)} is negative: {b.Balance}"));
        Assert.Equal(Banks * AccountsPerBank * Initial, balances.Sum(b => b.Balance));
        Assert.Equal(Banks * AccountsPerBank * Initial, supplies.Sum(Ops.Decimal));

        // Which transfers took effect: exactly those whose marker exists.
        var all = transfers.ToList();
        var applied = new HashSet<Guid>();
        foreach (var chunk in all.Chunk(200))
        {
            var (markers, _) = await cluster.ReadAsync(null, [.. chunk.Select(t => Ops.On(Ledger(t.ToBank), Ops.Get(Marker(t))))]);
            for (var i = 0; i < chunk.Length; i++)
            {
                if (markers[i] is not null)
                {
                    Assert.Equal($"\"{chunk[i].Amount.ToString(CultureInfo.InvariantCulture)}\"", Ops.Text(markers[i]));
                    applied.Add(chunk[i].Id);
                }
            }
        }

        var lost = all.Where(t => t.Told == "committed" && !applied.Contains(t.Id)).ToList();
        var ghosts = all.Where(t => t.Told == "aborted" && applied.Contains(t.Id)).ToList();
        var inDoubt = all.Where(t => t.Told == "in-doubt").ToList();
        var summary =
            $"{all.Count} transfers in {loadTime.TotalSeconds:0.0}s with {restarts} restarts: " +
            $"{all.Count(t => t.Told == "committed")} committed, {all.Count(t => t.Told == "aborted")} aborted " +
            $"({string.Join(", ", all.Where(t => t.Told == "aborted").GroupBy(t => t.Code ?? "?").OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}"))}), " +
            $"{inDoubt.Count} in-doubt then resolved ({inDoubt.Count(t => applied.Contains(t.Id))} committed, {inDoubt.Count(t => !applied.Contains(t.Id))} aborted); " +
            $"settled {settledAfter.TotalSeconds:0.0}s after the last restart";
        output.WriteLine(summary);
        Console.WriteLine("BANK " + summary);
        Assert.True(lost.Count == 0, $"{lost.Count} transfers told committed were not applied, e.g. {lost.FirstOrDefault()}");
        Assert.True(ghosts.Count == 0, $"{ghosts.Count} transfers told aborted were applied, e.g. {ghosts.FirstOrDefault()}");

        // Atomicity: every balance is the initial one plus exactly the applied transfers (no half transfer anywhere).
        var expected = accounts.ToDictionary(x => x, _ => Initial);
        foreach (var t in all.Where(t => applied.Contains(t.Id)))
        {
            expected[(t.FromBank, t.FromAccount)] -= t.Amount;
            expected[(t.ToBank, t.ToAccount)] += t.Amount;
        }

        foreach (var b in balances)
        {
            Assert.True(expected[(b.Bank, b.Account)] == b.Balance, $"{Bank(b.Bank)}/{Account(b.Account)} is {b.Balance}, the applied transfers make it {expected[(b.Bank, b.Account)]}");
        }

        Assert.True(all.Count(t => t.Told == "committed") > 0, "no transfer committed at all");
        if (nemesis is Nemesis.MasterKilledOnce or Nemesis.MasterPaused)
        {
            // Clients kept working through the new master: the first transfer begun after the kill committed within
            // 3 heartbeat intervals plus the transaction timeout of the kill.
            var resumed = all.Where(t => t.Told == "committed" && t.StartedAt > masterKilledAt).Min(t => (DateTime?)t.DoneAt);
            Assert.True(resumed is not null, "nothing committed after the master was killed");
            var pause = resumed.Value - masterKilledAt;
            output.WriteLine($"first commit {pause.TotalMilliseconds:0} ms after the master was killed");
            Console.WriteLine($"BANK failover pause {pause.TotalMilliseconds:0} ms");
            var detection = etcd is null ? TimeSpan.FromMilliseconds(3 * 500) : 3 * LeaseTtl;
            Assert.True(pause <= detection + TimeSpan.FromMilliseconds(timeoutMs), $"clients stalled {pause.TotalMilliseconds:0} ms after the master died");
        }
        Assert.True(duration < TimeSpan.FromSeconds(10) || restarts > 0, "the killer never restarted a node");
    }

    private async Task RunClientAsync(TestCluster cluster, Random random, ConcurrentBag<Transfer> transfers, bool failover, int timeoutMs, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var fromBank = random.Next(Banks);
            var toBank = random.Next(Banks);
            var fromAccount = random.Next(AccountsPerBank);
            var toAccount = random.Next(AccountsPerBank);
            if (fromBank == toBank && fromAccount == toAccount)
            {
                continue;
            }

            var amount = random.Next(1, 30000) / 100m;
            var transfer = new Transfer(Guid.NewGuid(), fromBank, fromAccount, toBank, toAccount, amount) { StartedAt = DateTime.UtcNow };
            JsonObject[] ops = fromBank == toBank
                ? [Ops.On(Bank(fromBank), Ops.Transfer(Account(fromAccount), Account(toAccount), amount))]
                : [
                    Ops.On(Bank(fromBank), new JsonObject { ["burn"] = new JsonObject { ["from"] = Account(fromAccount), ["amount"] = amount.ToString(CultureInfo.InvariantCulture) } }),
                    Ops.On(Bank(toBank), Ops.Mint(Account(toAccount), amount)),
                ];
            var body = Ops.Batch([.. ops, Ops.On(Ledger(toBank), Ops.Put(Marker(transfer), amount.ToString(CultureInfo.InvariantCulture)))]);
            body["timeout_ms"] = timeoutMs;
            body["label"] = "bank";

            // Mostly through the master; sometimes through a node that forwards (and may be killed under the request).
            // In the failover run, through any node that is up (the client does not know who leads).
            var via = failover
                ? cluster.Nodes[random.Next(cluster.Nodes.Count)]
                : random.Next(4) == 0 ? cluster.Nodes[random.Next(cluster.Nodes.Count)] : cluster.Master;
            try
            {
                var answer = await cluster.BatchAsync(body, via);
                if (answer.Status == 400)
                {
                    Assert.Fail($"the test sent bad input: {answer}");
                }

                transfers.Add(answer.Status == 200 && answer.TxStatus is "committed" or "aborted"
                    ? transfer with { Told = answer.TxStatus!, Code = answer.Code, DoneAt = DateTime.UtcNow }
                    : transfer with { Told = "in-doubt", Code = answer.Code ?? answer.Status.ToString(CultureInfo.InvariantCulture) });
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                transfers.Add(transfer with { Told = "in-doubt", Code = e.GetType().Name });
                await Task.Delay(50, CancellationToken.None);
            }
        }
    }

    private static string Bank(int i) => $"resource:bank{i}";

    private static string Ledger(int i) => $"kv:ledger{i}";

    private static string Account(int a) => $"acc{a}";

    private static string Marker(Transfer t) => $"t:{t.Id:N}";


    private sealed record Transfer(Guid Id, int FromBank, int FromAccount, int ToBank, int ToAccount, decimal Amount)
    {
        public string Told { get; init; } = "?";

        public string? Code { get; init; }

        public DateTime StartedAt { get; init; }

        public DateTime DoneAt { get; init; }
    }
}
