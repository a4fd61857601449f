using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Mathematics.OutlierDetection;

namespace Cohort.Benchmarks;

/// <summary>
/// A short job for fsync-bound benchmarks: one invocation of thousands of durable appends already
/// takes from milliseconds to seconds (2048 fsyncs for the baseline), so BenchmarkDotNet's pilot stage
/// is skipped and a few fixed iterations keep the class to minutes even on a slow disk. Slow
/// iterations are disk stalls the design must live with, so they are kept, not removed as outliers.
/// Used by every fsync-bound class (<see cref="WalAppendBenchmarks"/>, <see cref="KvCommitBenchmarks"/>).
/// </summary>
/// <remarks>
/// In-process toolchain: the default one generates a child project and runs <c>dotnet build</c> on it,
/// which rebuilds the referenced src/ projects into their own obj/ directories, ignoring the
/// <c>--artifacts-path</c> given to <c>dotnet run</c>, and breaks other builds running in the same
/// repository. Process isolation buys little here: the cost measured is the disk's, not the JIT's.
/// </remarks>
public sealed class WalAppendConfig : ManualConfig
{
    public WalAppendConfig()
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(1)
            .WithIterationCount(IterationCount)
            .WithInvocationCount(1)
            .WithUnrollFactor(1)
            .WithOutlierMode(OutlierMode.DontRemove)
            .WithId("Fsync"));
        AddColumn(StatisticColumn.Median, StatisticColumn.OperationsPerSecond, new MedianOpsPerSecondColumn());
        SummaryStyle = SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend);
    }

    /// <summary>Measured iterations per case.</summary>
    public const int IterationCount = 9;
}
