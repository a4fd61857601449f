using System.Globalization;
using Cohort.Coordination;
using Cohort.Protocol;
using Cohort.Simulation.Cluster;

namespace Cohort.Simulation.Workload;

/// <summary>
/// The clients' work: marker transactions over the KV, queue and resource engines, and bank transfers between KV
/// accounts (read-modify-write across two nodes). Planned from the seed, run by client processes against whatever
/// coordinator is up, every answer recorded for the checker.
/// </summary>
internal sealed class SimWorkload(SimCluster cluster)
{
    public const int AccountsPerResource = 4;
    public const long InitialBalance = 100;
    public const int ListsPerResource = 2;
    public static readonly string[] BankResources = ["kv:a", "kv:b"];
    private static readonly string[] MarkerResources = ["kv:a", "queue:q", "kv:b", "resource:r"];

    private readonly Dictionary<TxId, int> _ordinals = [];

    public List<SimTx> Transactions { get; } = [];

    public int ClientsDone { get; private set; }

    public static long TotalMoney => BankResources.Length * AccountsPerResource * InitialBalance;

    public string Label(TxId id) => _ordinals.TryGetValue(id, out var ordinal) ? $"#{ordinal}" : id.ToString();

    public int OrdinalOf(TxId id) => _ordinals.TryGetValue(id, out var ordinal) ? ordinal : -1;

    /// <summary>Batches get their id inside the coordinator: recognise the ordinal in their marker arguments.</summary>
    public void Recognise(TxId id, IReadOnlyList<Operation> operations)
    {
        foreach (var operation in operations)
        {
            foreach (var (_, value) in operation.Arguments.AsMap())
            {
                if (value.Kind == ValueKind.String && value.AsString() is { Length: > 2 } text && text[1] == '-'
                    && int.TryParse(text.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var ordinal))
                {
                    _ordinals.TryAdd(id, ordinal);
                    return;
                }
            }
        }
    }

    public void Plan()
    {
        var random = cluster.Loop.Random;
        var count = cluster.Config.Clients * cluster.Config.TransactionsPerClient;
        for (var ordinal = 0; ordinal < count; ordinal++)
        {
            var draw = random.NextDouble();
            if (draw < 0.5)
            {
                var snapshot = draw < 0.2;
                // A snapshot reads every list (the more it sees, the more orders it can contradict).
                var micro = snapshot
                    ? [.. BankResources.SelectMany(r => Enumerable.Range(0, ListsPerResource).Select(i => (Append: false, Resource: r, Key: $"l-{i}"))).OrderBy(_ => random.Next())]
                    : Enumerable.Range(0, random.Next(2, 5))
                        .Select(_ => (Append: random.NextDouble() < 0.5, Resource: BankResources[random.Next(2)], Key: $"l-{random.Next(ListsPerResource)}"))
                        .DistinctBy(m => (m.Resource, m.Key))
                        .ToList();
                Transactions.Add(new SimTx(ordinal, snapshot ? TxKind.Snapshot : TxKind.Append, [.. micro.Where(m => m.Append).Select(m => m.Resource).Distinct()], batch: false)
                {
                    Micro = micro,
                });
                continue;
            }

            if (draw < 0.7)
            {
                var from = (BankResources[random.Next(2)], $"acct-{random.Next(AccountsPerResource)}");
                var to = (BankResources[random.Next(2)], $"acct-{random.Next(AccountsPerResource)}");
                if (from == to)
                {
                    to = (from.Item1, $"acct-{(int.Parse(from.Item2.AsSpan(5), CultureInfo.InvariantCulture) + 1) % AccountsPerResource}");
                }

                Transactions.Add(new SimTx(ordinal, TxKind.Transfer, [.. new[] { from.Item1, to.Item1 }.Distinct()], batch: false)
                {
                    From = from,
                    To = to,
                    Amount = random.Next(1, 40),
                });
                continue;
            }

            var resources = MarkerResources.OrderBy(_ => random.Next()).Take(random.Next(1, 4)).ToList();
            var kv = resources.FirstOrDefault(r => r.StartsWith("kv:", StringComparison.Ordinal));
            Transactions.Add(new SimTx(ordinal, TxKind.Marker, resources, batch: random.NextDouble() < 0.25)
            {
                Hot = kv is not null && random.NextDouble() < 0.3 ? kv : null,
            });
        }
    }

    /// <summary>Creates the token and the bank accounts, on a healthy network, before the faults start.</summary>
    public async Task SetupAsync()
    {
        List<BatchOperation> operations = [new("resource:r", Operation.Create("initialize", ("symbol", Value.From("SIM")), ("decimals", 0L)))];
        foreach (var resource in BankResources)
        {
            for (var i = 0; i < AccountsPerResource; i++)
            {
                operations.Add(new(resource, SimOps.Put($"acct-{i}", InitialBalance)));
            }
        }

        for (var attempt = 0; attempt < 20; attempt++)
        {
            var (coordinator, process) = await WaitForCoordinatorAsync().ConfigureAwait(false);
            try
            {
                var result = await cluster.Loop.Call(process, () => coordinator.ExecuteBatchAsync(operations, TimeSpan.FromSeconds(5)).AsTask()).ConfigureAwait(false);
                if (result.Outcome.IsCommitted)
                {
                    return;
                }
            }
            catch (Exception e) when (e is CohortException or IOException)
            {
                // Retried.
            }
        }

        throw new InvalidOperationException("the setup transaction never committed on a healthy network");
    }

    public async Task RunClientAsync(int client)
    {
        var per = cluster.Config.TransactionsPerClient;
        for (var j = 0; j < per; j++)
        {
            var tx = Transactions[(client * per) + j];
            await RunAsync(tx).ConfigureAwait(false);
            cluster.Trace($"client {client} {tx}");
        }

        ClientsDone++;
    }

    /// <summary>Waits (in virtual time) until a coordinator serves; returns it with its process.</summary>
    public async Task<(Coordinator Coordinator, Runtime.SimProcess Process)> WaitForCoordinatorAsync()
    {
        while (true)
        {
            var machine = cluster.Leader;
            if (machine is { Serving: true, Instance: { IsLeader: true } coordinator, Process: { Alive: true } process })
            {
                return (coordinator, process);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(5), cluster.Loop.Clock).ConfigureAwait(false);
        }
    }

    private async Task RunAsync(SimTx tx)
    {
        if (tx.Kind == TxKind.Snapshot)
        {
            await SnapshotAsync(tx).ConfigureAwait(false);
            return;
        }

        var (coordinator, process) = await WaitForCoordinatorAsync().ConfigureAwait(false);
        var loop = cluster.Loop;
        try
        {
            if (tx.Batch)
            {
                var operations = MarkerOperations(tx).Select(o => new BatchOperation(o.Resource, o.Operation)).ToList();
                var result = await loop.Call(process, () => coordinator.ExecuteBatchAsync(operations, SimCluster.TxTimeout).AsTask()).ConfigureAwait(false);
                Record(tx, result.Outcome);
                return;
            }

            var handle = await loop.Call(process, () => Task.FromResult(coordinator.Begin(SimCluster.TxTimeout))).ConfigureAwait(false);
            _ordinals[handle.TxId] = tx.Ordinal;
            try
            {
                if (tx.Kind == TxKind.Append)
                {
                    await AppendAsync(tx, coordinator, process, handle.TxId).ConfigureAwait(false);
                }
                else if (tx.Kind == TxKind.Transfer)
                {
                    await TransferAsync(tx, coordinator, process, handle.TxId).ConfigureAwait(false);
                }
                else
                {
                    foreach (var (resource, operation) in MarkerOperations(tx))
                    {
                        await loop.Call(process, () => coordinator.ApplyAsync(handle.TxId, resource, operation).AsTask()).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception e) when (e is CohortException or IOException)
            {
                // The transaction never reached commit: whatever happens next, it must not commit anywhere.
                tx.Told = Told.NotCommitted;
                tx.Detail = e is CohortException ce ? ce.Code : "coordinator gone";
                try
                {
                    await loop.Call(process, () => coordinator.AbortAsync(handle.TxId).AsTask()).ConfigureAwait(false);
                }
                catch (Exception abort) when (abort is CohortException or IOException)
                {
                    // The participants drop it at its deadline.
                }

                return;
            }

            Record(tx, await loop.Call(process, () => coordinator.CommitAsync(handle.TxId).AsTask()).ConfigureAwait(false));
        }
        catch (Exception e) when (e is CohortException or IOException)
        {
            tx.Told = Told.NoAnswer;
            tx.Detail = e is CohortException ce ? ce.Code : e.Message;
        }
    }

    private async Task TransferAsync(SimTx tx, Coordinator coordinator, Runtime.SimProcess process, TxId id)
    {
        var loop = cluster.Loop;
        var from = await loop.Call(process, () => coordinator.ApplyAsync(id, tx.From.Resource, SimOps.Get(tx.From.Key)).AsTask()).ConfigureAwait(false);
        var to = await loop.Call(process, () => coordinator.ApplyAsync(id, tx.To.Resource, SimOps.Get(tx.To.Key)).AsTask()).ConfigureAwait(false);
        var amount = Math.Min(tx.Amount, from.AsInt64());
        await loop.Call(process, () => coordinator.ApplyAsync(id, tx.From.Resource, SimOps.Put(tx.From.Key, from.AsInt64() - amount)).AsTask()).ConfigureAwait(false);
        await loop.Call(process, () => coordinator.ApplyAsync(id, tx.To.Resource, SimOps.Put(tx.To.Key, to.AsInt64() + amount)).AsTask()).ConfigureAwait(false);
        foreach (var resource in tx.Resources)
        {
            await loop.Call(process, () => coordinator.ApplyAsync(id, resource, SimOps.Put($"m-{tx.Ordinal}", tx.Ordinal)).AsTask()).ConfigureAwait(false);
        }
    }

    private async Task AppendAsync(SimTx tx, Coordinator coordinator, Runtime.SimProcess process, TxId id)
    {
        var loop = cluster.Loop;
        foreach (var (append, resource, key) in tx.Micro)
        {
            var value = await loop.Call(process, () => coordinator.ApplyAsync(id, resource, SimOps.Get(key)).AsTask()).ConfigureAwait(false);
            var list = ParseList(value);
            tx.Reads.Add((resource, key, list));
            if (append)
            {
                var text = string.Join(",", list.Append(tx.Ordinal).Select(e => e.ToString(CultureInfo.InvariantCulture)));
                await loop.Call(process, () => coordinator.ApplyAsync(id, resource, SimOps.Put(key, text)).AsTask()).ConfigureAwait(false);
            }
        }
    }

    // Lock-free reads of several lists at one timestamp, each on its node, as the snapshot-read endpoint does.
    private async Task SnapshotAsync(SimTx tx)
    {
        var at = HlcTimestamp.FromDateTimeOffset(cluster.Loop.Clock.GetUtcNow());
        try
        {
            foreach (var (_, resource, key) in tx.Micro)
            {
                var node = cluster.NodeOf(resource);
                if (node is not { Serving: true, Host: { } host, Process: { } process })
                {
                    throw new IOException($"{node.Name} is down");
                }

                var value = await cluster.Loop.Call(process, () => host.GetEngine(resource)!.ReadAsync(at, SimOps.Get(key), CancellationToken.None).AsTask()).ConfigureAwait(false);
                tx.Reads.Add((resource, key, ParseList(value)));
            }

            tx.Told = Told.Committed;
        }
        catch (Exception e) when (e is CohortException or IOException)
        {
            tx.Told = Told.NotCommitted;
            tx.Detail = e.Message;
            tx.Reads.Clear();
        }
    }

    public static long[] ParseList(Value value) =>
        value.IsNull || value.AsString().Length == 0 ? [] : [.. value.AsString().Split(',').Select(e => long.Parse(e, CultureInfo.InvariantCulture))];

    private static IEnumerable<(string Resource, Operation Operation)> MarkerOperations(SimTx tx)
    {
        if (tx.Hot is { } hot)
        {
            yield return (hot, SimOps.Put($"hot-{tx.Ordinal % 2}", tx.Ordinal));
        }

        foreach (var resource in tx.Resources)
        {
            yield return (resource, SimOps.Marker(resource, tx.Ordinal));
        }
    }

    private static void Record(SimTx tx, TxOutcome outcome)
    {
        tx.Told = outcome.Kind switch
        {
            TxOutcomeKind.Committed => Told.Committed,
            TxOutcomeKind.Aborted => Told.Aborted,
            _ => Told.InDoubt,
        };
        tx.Detail = outcome.Reason;
    }
}
