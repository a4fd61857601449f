using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Cohort.Benchmarks;

/// <summary>
/// Operations per second from the median time per operation (BenchmarkDotNet's <c>Op/s</c> uses the
/// mean, which one slow fsync iteration drags down); with <c>OperationsPerInvoke</c> this is appends/s or
/// transactions/s.
/// </summary>
public sealed class MedianOpsPerSecondColumn : IColumn
{
    public string Id => nameof(MedianOpsPerSecondColumn);

    public string ColumnName => "Median op/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Statistics;

    public int PriorityInCategory => 10;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Operations per second from the median time per operation (appends/s or transactions/s)";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var statistics = summary[benchmarkCase]?.ResultStatistics;
        if (statistics is null || statistics.Median <= 0)
        {
            return "NA";
        }

        return (1e9 / statistics.Median).ToString("N0", CultureInfo.InvariantCulture);
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
