using System.Diagnostics;
using System.Text;

namespace Cohort.IntegrationTests.Cli;

/// <summary>Runs the built <c>cohort</c> command (<c>dotnet cohort.dll …</c> from this project's output) as a new user would, and captures what it prints.</summary>
internal static class CohortCli
{
    public sealed record Run(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
    }

    /// <summary>Runs <c>cohort</c> with <paramref name="args"/>; <c>COLUMNS</c> is unset unless <paramref name="environment"/> sets it.</summary>
    public static async Task<Run> RunAsync(IEnumerable<string> args, string? stdin = null, TimeSpan? timeout = null, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "cohort.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("COHORT_AUTH_TOKEN");
        info.Environment.Remove("COHORT_CRASH_AT");
        info.Environment.Remove("COLUMNS");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start cohort");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (stdout) { stdout.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (stderr) { stderr.AppendLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"cohort {string.Join(' ', args)} did not finish in time.\n{stdout}\n{stderr}");
        }

        // WaitForExitAsync also waits for the redirected streams to end.
        lock (stdout)
        {
            lock (stderr)
            {
                return new Run(process.ExitCode, stdout.ToString(), stderr.ToString());
            }
        }
    }

    public static Task<Run> RunAsync(params string[] args) => RunAsync((IEnumerable<string>)args);

    private static string DotnetHost()
    {
        var path = Environment.ProcessPath;
        return path is not null && Path.GetFileNameWithoutExtension(path).Equals("dotnet", StringComparison.OrdinalIgnoreCase) ? path : "dotnet";
    }
}
