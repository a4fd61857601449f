using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Cohort.Benchmarks.Sql;

/// <summary>
/// The job for the in-memory SQL read benchmarks: in-process (for the reason given on
/// <see cref="WalAppendConfig"/>), a few warmups and 15 measured iterations with BenchmarkDotNet choosing
/// the invocation count, medians and operations per second shown, ratios against the SQLite baseline.
/// </summary>
public sealed class SqlReadConfig : ManualConfig
{
    public SqlReadConfig()
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(3)
            .WithIterationCount(15)
            .WithId("SqlRead"));
        AddColumn(StatisticColumn.Median, StatisticColumn.OperationsPerSecond, new MedianOpsPerSecondColumn());
        SummaryStyle = SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend);
    }
}
