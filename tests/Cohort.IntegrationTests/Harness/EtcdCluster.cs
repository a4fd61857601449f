using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Cohort.IntegrationTests.Harness;

/// <summary>
/// A real etcd cluster for tests: <paramref name="members"/> <c>etcd</c> processes (Debian's <c>etcd-server</c>, or
/// <c>$COHORT_ETCD_BIN</c>) on free 127.0.0.1 ports, each with its own data directory under one temp directory. Members
/// can be killed (SIGKILL), restarted on the same ports and data, and paused (SIGSTOP) and resumed, each by the pid this
/// harness started; disposal kills every member it started, by pid. Every wait is bounded.
/// </summary>
internal sealed partial class EtcdCluster : IAsyncDisposable
{
    private const int SigCont = 18;
    private const int SigStop = 19;
    private static readonly TimeSpan HealthTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(15);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };

    private readonly string _binary;
    private readonly string _root;
    private readonly string _token;
    private readonly Member[] _members;

    private EtcdCluster(string binary, string root, int members)
    {
        _binary = binary;
        _root = root;
        _token = "cohort-test-" + Guid.NewGuid().ToString("N")[..8];
        var ports = FreePorts.Take(2 * members);
        _members = [.. Enumerable.Range(0, members).Select(i => new Member($"m{i + 1}", ports[2 * i], ports[(2 * i) + 1], Path.Combine(root, $"m{i + 1}")))];
    }

    /// <summary>The members' client URLs, comma-separated (what <c>--etcd</c> takes).</summary>
    public string Endpoints => string.Join(',', _members.Select(m => m.ClientUrl));

    /// <summary>The number of members.</summary>
    public int Count => _members.Length;

    /// <summary>The client URL of member <paramref name="index"/>.</summary>
    public string ClientUrl(int index) => _members[index].ClientUrl;

    /// <summary>The pid of member <paramref name="index"/> while it runs.</summary>
    public int? Pid(int index) => _members[index].Process is { HasExited: false } p ? p.Id : null;

    /// <summary>Starts a new cluster and waits until every member reports healthy.</summary>
    public static async Task<EtcdCluster> StartAsync(int members = 3)
    {
        var binary = FindBinary();
        var root = Path.Combine(Path.GetTempPath(), "cohort-etcd-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var cluster = new EtcdCluster(binary, root, members);
        try
        {
            for (var i = 0; i < members; i++)
            {
                cluster.StartMember(i);
            }

            await cluster.WaitHealthyAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills member <paramref name="index"/> (SIGKILL, by its pid) and waits for it to exit.</summary>
    public async Task KillAsync(int index)
    {
        var member = _members[index];
        var process = member.Process ?? throw new InvalidOperationException($"{member.Name} is not running.");
        member.Process = null;
        await StopAsync(member, process);
    }

    /// <summary>Starts member <paramref name="index"/> again on its ports and data directory (after <see cref="KillAsync"/>).</summary>
    public void Restart(int index)
    {
        if (_members[index].Process is not null)
        {
            throw new InvalidOperationException($"{_members[index].Name} is running.");
        }

        StartMember(index);
    }

    /// <summary>Stops member <paramref name="index"/> with SIGSTOP: its sockets stay open and nothing answers.</summary>
    public void Pause(int index) => Signal(_members[index], SigStop, paused: true);

    /// <summary>Resumes a member paused by <see cref="Pause"/> (SIGCONT).</summary>
    public void Resume(int index) => Signal(_members[index], SigCont, paused: false);

    /// <summary>Waits until every running member says <c>/health</c> is true (a leader and a quorum read), or throws after <paramref name="timeout"/>.</summary>
    public async Task WaitHealthyAsync(TimeSpan? timeout = null)
    {
        var limit = timeout ?? HealthTimeout;
        await Wait.UntilAsync(
            async () =>
            {
                foreach (var member in _members.Where(m => m.Process is not null && !m.Paused))
                {
                    if (member.Process!.HasExited)
                    {
                        throw new InvalidOperationException($"etcd {member.Name} exited with {member.Process.ExitCode}: {Tail(member.LogFile)}");
                    }

                    var body = await Http.GetStringAsync(member.ClientUrl + "/health");
                    if (!body.Contains("\"health\":\"true\"", StringComparison.Ordinal))
                    {
                        return false;
                    }
                }

                return true;
            },
            limit,
            "every running etcd member healthy",
            () => string.Join(" | ", _members.Select(m => $"{m.Name}: {(m.Process is null ? "stopped" : m.Paused ? "paused" : "running")} {Tail(m.LogFile, 300)}")));
    }

    /// <summary>The index of the member the running members agree leads etcd's raft group (asked through etcd's JSON gateway).</summary>
    public async Task<int> RaftLeaderAsync()
    {
        var ids = new ulong[_members.Length];
        ulong leader = 0;
        await Wait.UntilAsync(
            async () =>
            {
                leader = 0;
                for (var i = 0; i < _members.Length; i++)
                {
                    if (_members[i].Process is null || _members[i].Paused)
                    {
                        continue;
                    }

                    using var answer = await Http.PostAsync(_members[i].ClientUrl + "/v3/maintenance/status", new StringContent("{}"));
                    using var status = System.Text.Json.JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
                    ids[i] = ulong.Parse(status.RootElement.GetProperty("header").GetProperty("member_id").GetString()!, CultureInfo.InvariantCulture);
                    var says = status.RootElement.TryGetProperty("leader", out var l) ? ulong.Parse(l.GetString()!, CultureInfo.InvariantCulture) : 0;
                    if (says == 0 || (leader != 0 && says != leader))
                    {
                        return false;
                    }

                    leader = says;
                }

                return Array.IndexOf(ids, leader) >= 0;
            },
            HealthTimeout,
            "the etcd members to agree on a raft leader");
        return Array.IndexOf(ids, leader);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var member in _members)
        {
            if (member.Process is { } process)
            {
                member.Process = null;
                await StopAsync(member, process);
            }
        }

        if (Environment.GetEnvironmentVariable("COHORT_IT_KEEP") != "1")
        {
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private void StartMember(int index)
    {
        var member = _members[index];
        Directory.CreateDirectory(member.Directory);
        var initialCluster = string.Join(',', _members.Select(m => $"{m.Name}={m.PeerUrl}"));
        var info = new ProcessStartInfo(_binary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = member.Directory,
        };
        foreach (var argument in new[]
        {
            "--name", member.Name,
            "--data-dir", Path.Combine(member.Directory, "data"),
            "--listen-client-urls", member.ClientUrl,
            "--advertise-client-urls", member.ClientUrl,
            "--listen-peer-urls", member.PeerUrl,
            "--initial-advertise-peer-urls", member.PeerUrl,
            "--initial-cluster", initialCluster,
            "--initial-cluster-state", "new",
            "--initial-cluster-token", _token,
            "--logger", "zap",
            "--log-outputs", member.LogFile,
            "--log-level", "warn",
        })
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {_binary}");

        // Nothing of interest is printed (the log goes to the file), but the pipes must be drained.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        member.Process = process;
        member.Paused = false;
    }

    private static async Task StopAsync(Member member, Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                if (member.Paused)
                {
                    _ = NativeKill(process.Id, SigCont);
                }

                process.Kill();
            }

            using var timeout = new CancellationTokenSource(ExitTimeout);
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            member.Paused = false;
            process.Dispose();
        }
    }

    private static void Signal(Member member, int signal, bool paused)
    {
        var process = member.Process ?? throw new InvalidOperationException($"{member.Name} is not running.");
        if (NativeKill(process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }

        member.Paused = paused;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int NativeKill(int pid, int signal);

    private static string Tail(string file, int chars = 2000)
    {
        try
        {
            var text = File.ReadAllText(file);
            return text.Length <= chars ? text : text[^chars..];
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    private static string FindBinary()
    {
        var configured = Environment.GetEnvironmentVariable("COHORT_ETCD_BIN");
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(configured) ? configured : throw new InvalidOperationException($"COHORT_ETCD_BIN={configured} does not exist.");
        }

        foreach (var candidate in new[] { "/usr/bin/etcd", "/usr/local/bin/etcd" })
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("etcd not found (/usr/bin/etcd). Install it (apt-get install -y etcd-server) or set COHORT_ETCD_BIN.");
    }

    private sealed class Member(string name, int clientPort, int peerPort, string directory)
    {
        public string Name { get; } = name;

        public string ClientUrl { get; } = "http://127.0.0.1:" + clientPort.ToString(CultureInfo.InvariantCulture);

        public string PeerUrl { get; } = "http://127.0.0.1:" + peerPort.ToString(CultureInfo.InvariantCulture);

        public string Directory { get; } = directory;

        public string LogFile => Path.Combine(Directory, "etcd.log");

        public Process? Process { get; set; }

        public bool Paused { get; set; }
    }
}
