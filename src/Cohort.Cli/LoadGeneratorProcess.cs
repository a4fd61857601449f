using System.Diagnostics;

namespace Cohort.Cli;

/// <summary>
/// Runs the load generators (<c>cohort bench</c>, <c>cohort bench-pg</c>) in a child process without tiered PGO.
/// </summary>
/// <remarks>
/// A load generator is a short-lived process sharing the machine with the nodes it measures. With tiered PGO (the
/// runtime's default) its hot methods are compiled three times — quick, instrumented, optimized — and on the 2-core
/// machine of docs/performance.md that JIT work took about 12% of all CPU during a measured 10 s run, taken from the
/// nodes; without PGO the same cluster committed 20–40% more transactions per second. The nodes keep PGO (they run
/// long enough to profit from it). Setting <c>DOTNET_TieredPGO</c> yourself (to anything) runs the load generator in
/// place with that setting.
/// </remarks>
internal static class LoadGeneratorProcess
{
    private const string Variable = "DOTNET_TieredPGO";

    /// <summary>
    /// Starts this command again in a child process with <c>DOTNET_TieredPGO=0</c> and returns its exit code, or returns
    /// <see langword="null"/> when this process already is that child (or the user chose a setting).
    /// </summary>
    public static async Task<int?> RelaunchWithoutPgoAsync(CancellationToken cancellationToken)
    {
        if (Environment.GetEnvironmentVariable(Variable) is not null || Environment.ProcessPath is not { } host)
        {
            return null;
        }

        var start = new ProcessStartInfo(host) { UseShellExecute = false };
        var args = Environment.GetCommandLineArgs();

        // Under `dotnet cohort.dll …` the host is dotnet and the first argument the entry assembly; under the
        // apphost (`cohort …`) the host is the program itself.
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            start.ArgumentList.Add(args[0]);
        }

        foreach (var arg in args.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment[Variable] = "0";
        using var child = Process.Start(start) ?? throw new InvalidOperationException($"could not start {host}");
        try
        {
            await child.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C reached the child too (same process group); give it a moment to print its report, then stop it.
            if (!child.WaitForExit(TimeSpan.FromSeconds(5)))
            {
                child.Kill(entireProcessTree: true);
            }

            await child.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        return child.ExitCode;
    }
}
