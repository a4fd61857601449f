using System.Globalization;
using Cohort.Protocol;
using Cohort.Simulation.Cluster;

namespace Cohort.Simulation.Workload;

/// <summary>
/// The properties every run must keep, checked once everything is back up, healed and settled: each transaction is
/// all-or-nothing across its participants and agrees with what its client was told, nothing stays in doubt, money is
/// conserved, and the simulation never escaped its thread.
/// </summary>
internal static class SimChecker
{
    public static async Task<List<string>> CheckAsync(SimCluster cluster)
    {
        var problems = new List<string>();
        var lists = new Dictionary<(string Resource, string Key), long[]>();
        foreach (var resource in SimWorkload.BankResources)
        {
            for (var i = 0; i < SimWorkload.ListsPerResource; i++)
            {
                lists[(resource, $"l-{i}")] = SimWorkload.ParseList(await ReadAsync(cluster, resource, SimOps.Get($"l-{i}")).ConfigureAwait(false));
            }
        }

        foreach (var tx in cluster.Workload.Transactions.Where(t => t.Kind != TxKind.Snapshot))
        {
            var presence = new List<(string Resource, long Count)>();
            if (tx.Kind == TxKind.Append)
            {
                presence.AddRange(tx.Micro.Where(m => m.Append).Select(m => ($"{m.Resource}/{m.Key}", (long)lists[(m.Resource, m.Key)].Count(e => e == tx.Ordinal))));
            }
            else
            {
                foreach (var resource in tx.Resources)
                {
                    presence.Add((resource, await CountMarkerAsync(cluster, tx, resource).ConfigureAwait(false)));
                }
            }

            if (presence.Count == 0)
            {
                continue;
            }

            var description = string.Join(", ", presence.Select(p => $"{p.Resource}={p.Count}"));
            var present = presence.Count(p => p.Count > 0);
            if (presence.Any(p => p.Count > 1))
            {
                problems.Add($"{tx}: applied more than once ({description})");
            }

            if (present != 0 && present != presence.Count)
            {
                problems.Add($"{tx}: not atomic ({description})");
            }
            else if (tx.Told == Told.Committed && present == 0)
            {
                problems.Add($"{tx}: told committed, applied nowhere");
            }
            else if (tx.Told is Told.Aborted or Told.NotCommitted && present > 0)
            {
                problems.Add($"{tx}: told {tx.Told}, applied ({description})");
            }
        }

        long total = 0;
        foreach (var resource in SimWorkload.BankResources)
        {
            for (var i = 0; i < SimWorkload.AccountsPerResource; i++)
            {
                var balance = await ReadAsync(cluster, resource, SimOps.Get($"acct-{i}")).ConfigureAwait(false);
                if (balance.IsNull)
                {
                    problems.Add($"{resource} acct-{i} is gone (the setup transaction was told committed)");
                    continue;
                }

                total += balance.AsInt64();
            }
        }

        if (total != SimWorkload.TotalMoney)
        {
            problems.Add($"money not conserved: {total} in the accounts, {SimWorkload.TotalMoney} put in");
        }

        problems.AddRange(SimSerializability.Check(cluster.Workload.Transactions, lists));
        problems.AddRange(InDoubt(cluster, endsDone: true));
        foreach (var machine in cluster.Machines)
        {
            problems.AddRange(machine.BootFailures.Where(f => !f.Contains("IOException", StringComparison.Ordinal)).Select(f => $"could not restart from its own disk: {f}"));
        }

        problems.AddRange(cluster.Loop.Escapes.Select(e => $"escaped the simulation: {e}"));
        return problems;
    }

    /// <summary>
    /// What is still in doubt: prepared at a participant, or undecided or unfinished at the coordinator. With
    /// <paramref name="endsDone"/>, also a decision etcd still holds: an END lost to the network leaves one behind
    /// (harmless: phase two is over) until a new leader adopts it, which the final restart makes happen.
    /// </summary>
    public static List<string> InDoubt(SimCluster cluster, bool endsDone = true)
    {
        var stuck = new List<string>();
        foreach (var node in cluster.Nodes)
        {
            if (node.Host is not { } host)
            {
                stuck.Add($"{node.Name} is down");
                continue;
            }

            foreach (var resource in node.Resources)
            {
                stuck.AddRange(host.GetEngine(resource)!.GetPrepared().Select(p => $"{resource} holds {cluster.Workload.Label(p.Id)} prepared"));
            }
        }

        if (cluster.SharedLog && endsDone)
        {
            stuck.AddRange(cluster.Metadata.Unfinished().Select(d => $"etcd holds the unfinished decision of {cluster.Workload.Label(d.TxId)}"));
        }

        if (cluster.Leader is not { Instance: { } coordinator })
        {
            stuck.Add("no coordinator leads");
        }
        else
        {
            stuck.AddRange(coordinator.List()
                .Where(s => s.State is TransactionState.Preparing or TransactionState.Committing or TransactionState.InDoubt)
                .Select(s => $"the coordinator has {cluster.Workload.Label(s.TxId)} {s.State.ToWireName()}"));
        }

        return stuck;
    }

    private static async Task<long> CountMarkerAsync(SimCluster cluster, SimTx tx, string resource)
    {
        if (tx.Kind == TxKind.Transfer)
        {
            return (await ReadAsync(cluster, resource, SimOps.Get($"m-{tx.Ordinal}")).ConfigureAwait(false)).IsNull ? 0 : 1;
        }

        return resource switch
        {
            "queue:q" => (await ReadAsync(cluster, resource, SimOps.Size($"q-{tx.Ordinal}")).ConfigureAwait(false)).AsInt64(),
            "resource:r" => await TokensAsync(cluster, tx.Ordinal).ConfigureAwait(false),
            _ => (await ReadAsync(cluster, resource, SimOps.Get($"m-{tx.Ordinal}")).ConfigureAwait(false)).IsNull ? 0 : 1,
        };
    }

    // The setup created the token; if it is gone, every marker there counts as absent (and the setup's loss is reported).
    private static async Task<long> TokensAsync(SimCluster cluster, int ordinal)
    {
        try
        {
            return long.Parse((await ReadAsync(cluster, "resource:r", SimOps.Balance($"a-{ordinal}")).ConfigureAwait(false)).AsString(), CultureInfo.InvariantCulture);
        }
        catch (CohortException e) when (e.Code == ErrorCodes.BadOperation || e.Message.Contains("not initialized", StringComparison.Ordinal))
        {
            return 0;
        }
    }

    private static async Task<Value> ReadAsync(SimCluster cluster, string resource, Operation operation)
    {
        var engine = cluster.NodeOf(resource).Host!.GetEngine(resource)!;
        return await engine.ReadAsync(engine.Clock.Now(), operation, CancellationToken.None).ConfigureAwait(false);
    }
}
