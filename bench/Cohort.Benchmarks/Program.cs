using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

namespace Cohort.Benchmarks;

/// <summary>
/// Entry point: BenchmarkDotNet's switcher (<c>--filter '*WalAppend*'</c>, <c>--list flat</c>, ...), or
/// <c>fsync-latency [directory]</c> to measure the machine's raw fsync latency for docs/performance.md, or
/// <c>memory-per-key [count]</c> for the KV engine's managed heap bytes per key.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == FsyncLatency.Command)
        {
            return FsyncLatency.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == MemoryPerKey.Command)
        {
            return await MemoryPerKey.RunAsync(args[1..]).ConfigureAwait(false);
        }

        // Reports go to the temp directory unless --artifacts says otherwise, so a run leaves the
        // working tree untouched (other builds and benchmark runs share the repository).
        var config = DefaultConfig.Instance.WithArtifactsPath(
            Path.Combine(Path.GetTempPath(), "cohort-benchmarks", "BenchmarkDotNet.Artifacts"));
        _ = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
        return 0;
    }
}
