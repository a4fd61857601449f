using System.Diagnostics;
using System.Globalization;

namespace Cohort.IntegrationTests.Harness;

/// <summary>
/// One real Cohort node: <c>dotnet cohort.dll start-master|start-node</c> as a child process on 127.0.0.1, with its own
/// data directory. It can be killed (SIGKILL, by the process id this object started) and restarted on the same port
/// and data directory, optionally with a crash point armed through <c>COHORT_CRASH_AT</c>.
/// </summary>
internal sealed class NodeProcess : IAsyncDisposable
{
    private const int TailLines = 300;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    // Every process started here, so a test host that exits without disposing (an aborted run) still kills them.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<NodeProcess, byte> Started = new();

    private readonly object _sync = new();
    private readonly Queue<string> _tail = new();
    private readonly string _logPath;
    private Process? _process;
    private TaskCompletionSource<bool> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private StreamWriter? _log;
    private int _starts;

    static NodeProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var node in Started.Keys)
            {
                node.KillNow();
            }
        };
    }

    public NodeProcess(string name, int port, bool isMaster, string masterAddress, IReadOnlyList<string> peers, IReadOnlyList<string> resources, string rootDirectory, string? authToken, string heartbeat)
    {
        Name = name;
        Port = port;
        IsMaster = isMaster;
        MasterAddress = masterAddress;
        Peers = peers;
        Resources = resources;
        AuthToken = authToken;
        Heartbeat = heartbeat;
        DataDirectory = Path.Combine(rootDirectory, name);
        _logPath = Path.Combine(rootDirectory, name + ".log");
    }

    public string Name { get; }

    /// <summary>The PostgreSQL connection string of the node's <c>pg:default</c> (<c>--dsn</c>), or null.</summary>
    public string? Dsn { get; init; }

    /// <summary>Whether a plain node is given every peer in <c>--nodes</c> (the seed's way) rather than only the master.</summary>
    public bool AllPeers { get; init; }

    /// <summary>Heartbeat intervals of silence before a node counts as down (<c>--misses</c>).</summary>
    public int Misses { get; init; } = 2;

    /// <summary>More command-line arguments for the node (e.g. <c>--messages http</c>).</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public Uri BaseUri => new($"{(TlsCa is null ? "http" : "https")}://{Address}/");

    /// <summary>The CA file of a TLS node (started with --tls-cert among its arguments): it is then called over https, trusting this CA.</summary>
    public string? TlsCa { get; init; }

    public bool IsMaster { get; }

    public string MasterAddress { get; }

    public IReadOnlyList<string> Peers { get; }

    public IReadOnlyList<string> Resources { get; }

    public string? AuthToken { get; }

    public string Heartbeat { get; }

    public string DataDirectory { get; }

    /// <summary>The crash point the running process was armed with, if any.</summary>
    public string? ArmedCrashPoint { get; private set; }

    public int? ProcessId
    {
        get
        {
            lock (_sync)
            {
                return _process is { HasExited: false } p ? p.Id : null;
            }
        }
    }

    public bool IsRunning => ProcessId is not null;

    /// <summary>The last lines the process printed (stdout and stderr), for failure messages.</summary>
    public string Tail(int lines = 60)
    {
        lock (_sync)
        {
            return string.Join('\n', _tail.Skip(Math.Max(0, _tail.Count - lines)));
        }
    }

    /// <summary>Whether the process printed a line containing <paramref name="text"/> (within the kept tail).</summary>
    public bool Printed(string text)
    {
        lock (_sync)
        {
            return _tail.Any(l => l.Contains(text, StringComparison.Ordinal));
        }
    }

    /// <summary>Starts the process (not yet running) and waits until it printed READY and answers /health.</summary>
    public async Task StartAsync(string? crashAt = null)
    {
        lock (_sync)
        {
            if (_process is { HasExited: false })
            {
                throw new InvalidOperationException($"{Name} is already running.");
            }

            _process?.Dispose();
            _process = null;
            _ready = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            ArmedCrashPoint = crashAt;
        }

        Directory.CreateDirectory(DataDirectory);
        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "cohort.dll"));
        info.ArgumentList.Add(IsMaster ? "start-master" : "start-node");
        info.ArgumentList.Add("--addr");
        info.ArgumentList.Add(Address);
        info.ArgumentList.Add("--nodes");
        info.ArgumentList.Add(IsMaster || AllPeers ? string.Join(',', Peers) : MasterAddress);
        info.ArgumentList.Add("--data-dir");
        info.ArgumentList.Add(DataDirectory);
        info.ArgumentList.Add("--heartbeat");
        info.ArgumentList.Add(Heartbeat);
        info.ArgumentList.Add("--misses");
        info.ArgumentList.Add(Misses.ToString(CultureInfo.InvariantCulture));
        foreach (var resource in Resources)
        {
            info.ArgumentList.Add("--resource");
            info.ArgumentList.Add(resource);
        }

        foreach (var argument in ExtraArguments)
        {
            info.ArgumentList.Add(argument);
        }

        if (Dsn is not null)
        {
            info.ArgumentList.Add("--dsn");
            info.ArgumentList.Add(Dsn);
        }

        if (AuthToken is not null)
        {
            info.ArgumentList.Add("--auth-token");
            info.ArgumentList.Add(AuthToken);
        }

        // Nothing leaks in from the test runner's environment: only what this node is given.
        info.Environment.Remove("COHORT_CRASH_AT");
        info.Environment.Remove("COHORT_AUTH_TOKEN");
        info.Environment.Remove("POSTGRES_DSN");
        if (crashAt is not null)
        {
            info.Environment["COHORT_CRASH_AT"] = crashAt;
        }

        var start = Interlocked.Increment(ref _starts);
        lock (_sync)
        {
            _log ??= new StreamWriter(_logPath, append: true) { AutoFlush = true };
            _log.WriteLine($"===== start #{start} {DateTime.UtcNow:O} crash={crashAt ?? "-"} =====");
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var ready = _ready;
        process.OutputDataReceived += (_, e) => OnLine(e.Data, ready, stdout: true);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data, ready, stdout: false);
        process.Exited += (_, _) => ready.TrySetResult(false);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {Name}.");
        }

        lock (_sync)
        {
            _process = process;
        }

        Started.TryAdd(this, 0);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await WaitReadyAsync(ready);
    }

    /// <summary>Kills the process (SIGKILL) and waits for it to be gone.</summary>
    public async Task KillAsync()
    {
        Process? process;
        lock (_sync)
        {
            process = _process;
        }

        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(cts.Token);
        Note($"===== killed by the test {DateTime.UtcNow:O} =====");
    }

    /// <summary>Sends SIGSTOP (<paramref name="pause"/>) or SIGCONT to the running process: a node frozen in place, not dead.</summary>
    public async Task SignalAsync(bool pause)
    {
        Process? process;
        lock (_sync)
        {
            process = _process;
        }

        if (process is null || process.HasExited)
        {
            throw new InvalidOperationException($"{Name} is not running.");
        }

        using var kill = Process.Start(new ProcessStartInfo("kill", [pause ? "-STOP" : "-CONT", process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        await kill.WaitForExitAsync();
        Assert.True(kill.ExitCode == 0, $"kill {(pause ? "-STOP" : "-CONT")} {process.Id} failed");
        Note($"===== {(pause ? "SIGSTOP" : "SIGCONT")} by the test {DateTime.UtcNow:O} =====");
    }

    /// <summary>Waits until the process exits on its own (a crash point fired); false when it is still running at the timeout.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        Process? process;
        lock (_sync)
        {
            process = _process;
        }

        if (process is null)
        {
            return true;
        }

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Kills the process if it runs, then starts it again on the same port and data directory.</summary>
    public async Task RestartAsync(string? crashAt = null)
    {
        await KillAsync();
        await StartAsync(crashAt);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        finally
        {
            Started.TryRemove(this, out _);
            lock (_sync)
            {
                _process?.Dispose();
                _process = null;
                _log?.Dispose();
                _log = null;
            }
        }
    }

    public override string ToString() => $"{Name} ({Address}{(IsMaster ? ", master" : string.Empty)})";

    private void KillNow()
    {
        try
        {
            lock (_sync)
            {
                if (_process is { HasExited: false } p)
                {
                    p.Kill(entireProcessTree: true);
                }
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    private static string DotnetHost()
    {
        var path = Environment.ProcessPath;
        return path is not null && Path.GetFileNameWithoutExtension(path).Equals("dotnet", StringComparison.OrdinalIgnoreCase) ? path : "dotnet";
    }

    private async Task WaitReadyAsync(TaskCompletionSource<bool> ready)
    {
        var finished = await Task.WhenAny(ready.Task, Task.Delay(StartTimeout));
        if (finished != ready.Task)
        {
            await KillAsync();
            throw new TimeoutException($"{this} printed no READY line within {StartTimeout.TotalSeconds:0}s. Output:\n{Tail()}");
        }

        if (!await ready.Task)
        {
            throw new InvalidOperationException($"{this} exited before it was ready. Output:\n{Tail()}");
        }

        using var http = new HttpClient(Protocol.TlsTrust.For(TlsCa).Apply(new SocketsHttpHandler())) { Timeout = TimeSpan.FromSeconds(10) };
        await Wait.UntilAsync(
            async () =>
            {
                if (!IsRunning)
                {
                    throw new InvalidOperationException($"{this} exited while starting. Output:\n{Tail()}");
                }

                using var response = await http.GetAsync(new Uri(BaseUri, "health"));
                return response.IsSuccessStatusCode;
            },
            StartTimeout,
            $"{this} to answer /health",
            () => Tail(20));
    }

    private void OnLine(string? line, TaskCompletionSource<bool> ready, bool stdout)
    {
        if (line is null)
        {
            return;
        }

        // READY, or with --json the one JSON line that says so.
        if (stdout && (line.StartsWith("READY ", StringComparison.Ordinal) || (line.StartsWith('{') && line.Contains("\"ready\":true", StringComparison.Ordinal))))
        {
            ready.TrySetResult(true);
        }

        Note(stdout ? line : "! " + line);
    }

    private void Note(string line)
    {
        lock (_sync)
        {
            _tail.Enqueue(line);
            while (_tail.Count > TailLines)
            {
                _tail.Dequeue();
            }

            _log?.WriteLine(line);
        }
    }
}
