namespace Cohort.Simulation.Workload;

/// <summary>
/// Serializability of the list-append history (the approach of Jepsen's Elle): each key's final list orders its
/// appends, which gives write-write edges; a read of a list depends on the writer of its last element (write-read)
/// and precedes the writer of the element after it (read-write). The committed transactions, snapshot reads
/// included, must form an acyclic graph, and every read must see a prefix of the final list (no dirty or lost writes).
/// </summary>
internal static class SimSerializability
{
    public static List<string> Check(IReadOnlyList<SimTx> transactions, IReadOnlyDictionary<(string Resource, string Key), long[]> lists)
    {
        var problems = new List<string>();
        var byOrdinal = transactions.ToDictionary(t => (long)t.Ordinal);

        // Committed: its appends are in the final lists, or (reading only) it was told committed.
        var committed = transactions.Where(t => t.Kind is TxKind.Append or TxKind.Snapshot && IsCommitted(t, lists)).ToList();
        var edges = committed.ToDictionary(t => t.Ordinal, _ => new HashSet<(int To, string Why)>());
        void Edge(int from, int to, string why)
        {
            if (from != to && edges.ContainsKey(from) && edges.ContainsKey(to))
            {
                edges[from].Add((to, why));
            }
        }

        foreach (var ((resource, key), list) in lists)
        {
            for (var i = 1; i < list.Length; i++)
            {
                Edge((int)list[i - 1], (int)list[i], $"ww {resource}/{key}");
            }
        }

        foreach (var tx in committed)
        {
            foreach (var (resource, key, read) in tx.Reads)
            {
                var final = lists[(resource, key)];
                // What the transaction appended itself is not in what it read (each key is read before its append).
                if (read.Length > final.Length || !read.AsSpan().SequenceEqual(final.AsSpan(0, read.Length)))
                {
                    problems.Add($"#{tx.Ordinal} read {resource}/{key} = [{string.Join(",", read)}], not a prefix of its final value [{string.Join(",", final)}]");
                    continue;
                }

                if (read.Length > 0)
                {
                    Edge((int)read[^1], tx.Ordinal, $"wr {resource}/{key}");
                }

                if (read.Length < final.Length)
                {
                    Edge(tx.Ordinal, (int)final[read.Length], $"rw {resource}/{key}");
                }
            }
        }

        if (FindCycle(edges) is { } cycle)
        {
            problems.Add($"not serializable: cycle {string.Join(" ", cycle)} among {string.Join("; ", cycle.Where(c => c.StartsWith('#')).Distinct().Select(c => byOrdinal[long.Parse(c.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture)] is var t ? $"{c} {t.Kind} reads [{string.Join(" ", t.Reads.Select(r => $"{r.Resource}/{r.Key}=[{string.Join(",", r.List)}]"))}]" : c))}");
        }

        return problems;
    }

    private static bool IsCommitted(SimTx tx, IReadOnlyDictionary<(string Resource, string Key), long[]> lists)
    {
        var appends = tx.Micro.Where(m => m.Append).ToList();
        return appends.Count > 0
            ? appends.Any(m => lists[(m.Resource, m.Key)].Contains(tx.Ordinal))
            : tx.Told == Told.Committed;
    }

    // Depth-first search in ordinal order (deterministic); returns the first cycle as "#a -ww k-> #b ... #a".
    private static List<string>? FindCycle(Dictionary<int, HashSet<(int To, string Why)>> edges)
    {
        var state = new Dictionary<int, int>();
        var path = new List<(int Node, string Why)>();
        foreach (var start in edges.Keys.Order())
        {
            if (Visit(start, "") is { } cycle)
            {
                return cycle;
            }
        }

        return null;

        List<string>? Visit(int node, string why)
        {
            if (state.TryGetValue(node, out var s))
            {
                if (s == 1)
                {
                    var from = path.FindIndex(p => p.Node == node);
                    var cycle = new List<string>();
                    foreach (var (n, w) in path.Skip(from))
                    {
                        cycle.Add($"#{n}");
                        cycle.Add($"-{Next(path, n, from)}->");
                    }

                    cycle[^1] = $"-{why}->";
                    cycle.Add($"#{node}");
                    return cycle;
                }

                return null;
            }

            state[node] = 1;
            path.Add((node, why));
            foreach (var (to, w) in edges[node].OrderBy(e => e.To).ThenBy(e => e.Why, StringComparer.Ordinal))
            {
                if (Visit(to, w) is { } cycle)
                {
                    return cycle;
                }
            }

            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }

        static string Next(List<(int Node, string Why)> path, int node, int from)
        {
            var index = path.FindIndex(from, p => p.Node == node);
            return index + 1 < path.Count ? path[index + 1].Why : "";
        }
    }
}
