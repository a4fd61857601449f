using System.Globalization;
using Cohort.Peers;

// bench/peers.sh's peers (issue 24): the same durable transfer between two accounts on two nodes, on Cohort's peers.
//   orleans [--clients "1 64"] [--duration 10s] [--warmup 3s] [--warm 20s] [--dsn <PostgreSQL connection string> | --memory] [--port 17301]
//   etcd    [--clients "1 64"] [--duration 10s] [--warmup 3s] --endpoints http://127.0.0.1:17401,...
//   cohort-transfer [--clients …] [--addr 127.0.0.1:17121] [--resources resource:a,resource:b]: burn on one node, mint on the other
// Each client count prints one JSON line: peer, clients, tx_per_s, p50_ms, p99_ms, committed, aborted, durability.
if (args.Length == 0)
{
    await Console.Error.WriteLineAsync("usage: Cohort.Peers orleans|etcd|cohort-transfer [options]").ConfigureAwait(false);
    return 2;
}

var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 1; i < args.Length; i++)
{
    if (args[i] == "--memory")
    {
        options["memory"] = "1";
    }
    else if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length)
    {
        options[args[i][2..]] = args[++i];
    }
    else
    {
        await Console.Error.WriteLineAsync($"unexpected argument {args[i]}").ConfigureAwait(false);
        return 2;
    }
}

string Get(string name, string fallback) => options.TryGetValue(name, out var v) ? v : fallback;
var clients = Get("clients", "1 64").Split([' ', ','], StringSplitOptions.RemoveEmptyEntries).Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToArray();
var duration = ClosedLoop.ParseDuration(Get("duration", "10s"));
var warmup = ClosedLoop.ParseDuration(Get("warmup", "3s"));

// --warm 20s: first one unreported run of that length at the largest client count (JIT, connection pools, activations).
var warm = ClosedLoop.ParseDuration(Get("warm", "0s"));
if (warm > TimeSpan.Zero)
{
    clients = [-clients.Max(), .. clients];
}

switch (args[0])
{
    case "orleans":
        if (!options.ContainsKey("memory") && !options.ContainsKey("dsn"))
        {
            await Console.Error.WriteLineAsync("orleans needs --dsn (PostgreSQL grain storage) or --memory").ConfigureAwait(false);
            return 2;
        }

        return await OrleansPeer.RunAsync(clients, warmup, duration, warm, options.ContainsKey("memory") ? null : options["dsn"], int.Parse(Get("port", "17301"), CultureInfo.InvariantCulture)).ConfigureAwait(false);
    case "etcd":
        return await EtcdPeer.RunAsync(clients, warmup, duration, warm, Get("endpoints", "http://127.0.0.1:17401")).ConfigureAwait(false);
    case "cohort-transfer":
        return await CohortTransfer.RunAsync(clients, warmup, duration, warm, Get("addr", "127.0.0.1:17121"), Get("resources", "resource:a,resource:b").Split(',')).ConfigureAwait(false);
    default:
        await Console.Error.WriteLineAsync($"unknown peer {args[0]}").ConfigureAwait(false);
        return 2;
}
