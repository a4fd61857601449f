using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Cohort.Core;

namespace Cohort.Cli;

/// <summary>
/// A cluster of <c>cohort start-master|start-node</c> child processes of this same executable on 127.0.0.1, for
/// <c>cohort up</c> and <c>cohort demo</c>. Each node's output goes to <c>&lt;data-dir&gt;/&lt;port&gt;.log</c>. Disposing
/// kills exactly the processes it started, by their ids.
/// </summary>
internal sealed class LocalCluster : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly List<Process> _processes = [];
    private readonly Dictionary<Process, NodeSpec> _nodeOf = [];
    private readonly List<StreamWriter> _logs = [];

    private LocalCluster(string dataDirectory, IReadOnlyList<NodeSpec> nodes)
    {
        DataDirectory = dataDirectory;
        Nodes = nodes;

        // However this process ends (Ctrl+C, SIGTERM, an unhandled exception), it takes its nodes with it.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
    }

    /// <summary>One node: its port and the resources it hosts besides <c>sql:default</c>.</summary>
    public sealed record NodeSpec(int Port, IReadOnlyList<string> Resources)
    {
        public string Address => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";
    }

    public string DataDirectory { get; }

    public IReadOnlyList<NodeSpec> Nodes { get; }

    public IReadOnlyList<string> Addresses => [.. Nodes.Select(n => n.Address)];

    public IEnumerable<int> ProcessIds => _processes.Select(p => p.Id);

    /// <summary>Each node with its process id, in layout order.</summary>
    public IReadOnlyList<(NodeSpec Node, int ProcessId)> Started
    {
        get
        {
            lock (_processes)
            {
                return [.. Nodes.Select(n => (n, _nodeOf.Single(e => e.Value == n).Key.Id))];
            }
        }
    }

    /// <summary>The master the nodes elected (the election picks the lowest live address), once they are up.</summary>
    public string? Master { get; private set; }

    /// <summary>
    /// The default layout: kv:users on the master, queue:events and resource:points on the second node, sql:app on the
    /// third; with fewer nodes these groups go round the nodes there are, and further nodes have only their sql:default.
    /// </summary>
    public static IReadOnlyList<NodeSpec> DefaultLayout(IReadOnlyList<int> ports)
    {
        string[][] groups = [["kv:users"], ["queue:events", "resource:points"], ["sql:app"]];
        return [.. ports.Select((port, i) => new NodeSpec(port, [.. groups.Where((_, g) => g % ports.Count == i).SelectMany(g => g)]))];
    }

    /// <summary><paramref name="count"/> distinct free TCP ports on 127.0.0.1.</summary>
    public static int[] FreePorts(int count)
    {
        var listeners = new List<TcpListener>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }

            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }
        }
    }

    private IReadOnlyList<string> _nodeArguments = [];

    /// <summary>Starts the master, then the other nodes, and waits until the master sees every node alive with its resources.</summary>
    /// <param name="dataDirectory">Where the nodes keep their data (one folder per port) and logs.</param>
    /// <param name="nodes">The nodes; [0] starts as master.</param>
    /// <param name="heartbeat">The heartbeat interval, as <c>--heartbeat</c> takes it.</param>
    /// <param name="authToken">The cluster's bearer token, or null.</param>
    /// <param name="cancellationToken">Stops the start.</param>
    /// <param name="nodeArguments">More arguments for every node (the etcd backend's, say).</param>
    public static async Task<LocalCluster> StartAsync(string dataDirectory, IReadOnlyList<NodeSpec> nodes, string heartbeat, string? authToken, CancellationToken cancellationToken, IReadOnlyList<string>? nodeArguments = null)
    {
        Directory.CreateDirectory(dataDirectory);
        var cluster = new LocalCluster(dataDirectory, nodes) { _nodeArguments = nodeArguments ?? [] };
        try
        {
            await cluster.StartNodeAsync(0, authToken, heartbeat, cancellationToken).ConfigureAwait(false);
            await Task.WhenAll(Enumerable.Range(1, nodes.Count - 1).Select(i => cluster.StartNodeAsync(i, authToken, heartbeat, cancellationToken))).ConfigureAwait(false);
            await cluster.WaitAllAliveAsync(authToken, cancellationToken).ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Completes when one of the node processes not in <paramref name="exited"/> exits, with that node (for <c>cohort
    /// up</c>, which reports it and keeps the others running).
    /// </summary>
    public Task<(NodeSpec Node, Process Process)> NextExitAsync(IReadOnlyCollection<Process> exited, CancellationToken cancellationToken)
    {
        List<KeyValuePair<Process, NodeSpec>> running;
        lock (_processes)
        {
            running = [.. _nodeOf.Where(e => !exited.Contains(e.Key))];
        }

        return Task.WhenAny(running.Select(async e =>
        {
            await e.Key.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            return (e.Value, e.Key);
        })).Unwrap();
    }

    public async ValueTask DisposeAsync()
    {
        KillAll();

        foreach (var process in _processes)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Reported by the caller's own checks; nothing more to do here.
            }

            process.Dispose();
        }

        lock (_processes)
        {
            _processes.Clear();
            _nodeOf.Clear();
        }

        foreach (var log in _logs)
        {
            lock (log)
            {
                log.Dispose();
            }
        }

        _logs.Clear();
    }

    private void KillAll()
    {
        Process[] processes;
        lock (_processes)
        {
            processes = [.. _processes];
        }

        foreach (var process in processes)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone (or disposed).
            }
        }
    }

    private async Task StartNodeAsync(int index, string? authToken, string heartbeat, CancellationToken cancellationToken)
    {
        var node = Nodes[index];
        var (file, prefix) = Self();
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in prefix)
        {
            info.ArgumentList.Add(arg);
        }

        info.ArgumentList.Add(index == 0 ? "start-master" : "start-node");
        foreach (var arg in new[] { "--addr", node.Address, "--nodes", string.Join(',', Addresses), "--data-dir", Path.Combine(DataDirectory, node.Port.ToString(CultureInfo.InvariantCulture)), "--heartbeat", heartbeat })
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var resource in node.Resources)
        {
            info.ArgumentList.Add("--resource");
            info.ArgumentList.Add(resource);
        }

        foreach (var arg in _nodeArguments)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("COHORT_CRASH_AT");
        if (authToken is not null)
        {
            info.Environment["COHORT_AUTH_TOKEN"] = authToken;
        }

        var log = new StreamWriter(Path.Combine(DataDirectory, $"{node.Port.ToString(CultureInfo.InvariantCulture)}.log"), append: true) { AutoFlush = true };
        _logs.Add(log);
        var ready = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (log)
            {
                if (log.BaseStream is not null)
                {
                    log.WriteLine(line);
                }
            }

            if (line.StartsWith("READY ", StringComparison.Ordinal))
            {
                ready.TrySetResult(true);
            }
        }

        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.Exited += (_, _) => ready.TrySetResult(false);
        process.Start();
        lock (_processes)
        {
            _processes.Add(process);
            _nodeOf[process] = node;
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var finished = await Task.WhenAny(ready.Task, Task.Delay(StartTimeout, cancellationToken)).ConfigureAwait(false);
        if (finished != ready.Task || !await ready.Task.ConfigureAwait(false))
        {
            throw new InvalidOperationException($"node {node.Address} did not start (see {Path.Combine(DataDirectory, node.Port.ToString(CultureInfo.InvariantCulture))}.log)");
        }
    }

    private async Task WaitAllAliveAsync(string? authToken, CancellationToken cancellationToken)
    {
        using var http = new CliHttp(authToken, TimeSpan.FromSeconds(5));
        var until = DateTime.UtcNow + StartTimeout;
        var last = "(no answer)";
        while (DateTime.UtcNow < until)
        {
            var answer = await http.SendAsync(Addresses[0], HttpMethod.Get, "cluster/nodes", null, cancellationToken).ConfigureAwait(false);
            if (answer.Unreachable is null && !answer.IsProblem && answer.Body.TryGetField("nodes", out var members) && members.Kind == ValueKind.List)
            {
                last = ValueJson.Serialize(members);
                Master = answer.Body.TryGetField("master_addr", out var m) && m.Kind == ValueKind.String ? m.AsString() : null;
                // The master answered, so it is up; every other node must be listed alive with its resources.
                var ready = Nodes.Skip(1).All(n => members.AsList().Any(m =>
                    m.TryGetField("address", out var a) && a.Kind == ValueKind.String && a.AsString() == n.Address
                    && m.TryGetField("alive", out var alive) && alive.Kind == ValueKind.Bool && alive.AsBool()
                    && m.TryGetField("resources", out var rs) && rs.Kind == ValueKind.List
                    && n.Resources.All(r => rs.AsList().Any(x => x.Kind == ValueKind.String && x.AsString() == r))));
                // And the coordinator must serve (an election may still be choosing the master).
                if (ready && await http.SendAsync(Addresses[0], HttpMethod.Get, "v1/tx?state=in-doubt", null, cancellationToken).ConfigureAwait(false) is { Unreachable: null, IsProblem: false })
                {
                    return;
                }
            }

            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }

        throw new TimeoutException($"the nodes did not all join the master within {StartTimeout.TotalSeconds:0} s; last view: {last}");
    }

    // This same program: the apphost or "dotnet cohort.dll".
    private static (string File, string[] Prefix) Self()
    {
        var process = Environment.ProcessPath ?? "dotnet";
        var dll = typeof(LocalCluster).Assembly.Location;
        return Path.GetFileNameWithoutExtension(process).Equals("dotnet", StringComparison.OrdinalIgnoreCase) ? (process, [dll]) : (process, []);
    }
}
