using System.Diagnostics;
using System.Threading.Channels;

namespace Cohort.Engines.TestKit;

/// <summary>
/// A running Cohort.CrashHost child process whose stdout lines a test can wait for, and which the
/// test kills with SIGKILL (no shutdown code runs) to simulate a crash at a known point.
/// </summary>
/// <remarks>Cohort.CrashHost.dll must be in the test's output directory (a project reference to tests/Cohort.CrashHost).</remarks>
public sealed class CrashHostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly List<string> _stderr = [];

    private CrashHostProcess(Process process)
    {
        _process = process;
    }

    /// <summary>The child's process id.</summary>
    public int Id => _process.Id;

    /// <summary>Starts <c>dotnet Cohort.CrashHost.dll</c> with <paramref name="args"/>.</summary>
    public static CrashHostProcess Start(params string[] args)
    {
        var host = Path.Combine(AppContext.BaseDirectory, "Cohort.CrashHost.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(host);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the crash host.");
        var result = new CrashHostProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                result._lines.Writer.TryComplete();
            }
            else
            {
                result._lines.Writer.TryWrite(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (result._stderr)
                {
                    result._stderr.Add(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }

    /// <summary>Reads lines until one satisfies <paramref name="match"/>, handing each to <paramref name="seen"/>.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, Action<string>? seen = null)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await foreach (var line in _lines.Reader.ReadAllAsync(cts.Token))
            {
                seen?.Invoke(line);
                if (match(line))
                {
                    return line;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The crash host printed no matching line within {timeout}. stderr: {StandardError}");
        }

        throw new InvalidOperationException($"The crash host exited (code {(_process.HasExited ? _process.ExitCode : -1)}) before the expected line. stderr: {StandardError}");
    }

    /// <summary>Drains lines already printed (after a kill) into <paramref name="seen"/>.</summary>
    public async Task DrainAsync(Action<string> seen)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var line in _lines.Reader.ReadAllAsync(cts.Token))
        {
            seen(line);
        }
    }

    /// <summary>What the child wrote to stderr so far.</summary>
    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return string.Join('\n', _stderr);
            }
        }
    }

    /// <summary>SIGKILL: the process dies at once, with no flush or dispose.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(cts.Token);
    }

    /// <summary>Kills the child if it still runs.</summary>
    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}
