using System.Diagnostics;
using System.Globalization;

namespace Cohort.Benchmarks;

/// <summary>
/// The machine's raw fsync latency: <see cref="Samples"/> times, append 4 KiB to a temp file and fsync it,
/// timing each write+fsync pair. This is the floor under any durable append, and the figure
/// docs/performance.md quotes next to the write-ahead log results.
/// </summary>
internal static class FsyncLatency
{
    public const string Command = "fsync-latency";

    private const int Samples = 200;
    private const int BlockBytes = 4096;

    public static int Run(string[] args)
    {
        var directory = args.Length > 0 ? args[0] : Path.GetTempPath();
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"cohort-fsync-{Guid.NewGuid():N}.tmp");
        var block = new byte[BlockBytes];
        new Random(42).NextBytes(block);
        var micros = new double[Samples];

        try
        {
            // bufferSize 0: every Write is one write(2); Flush(flushToDisk: true) is fsync(2) on Linux.
            using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                for (var i = 0; i < Samples; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    file.Write(block);
                    file.Flush(flushToDisk: true);
                    micros[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                }
            }
        }
        finally
        {
            File.Delete(path);
        }

        Array.Sort(micros);
        var median = (micros[(Samples / 2) - 1] + micros[Samples / 2]) / 2;
        var p99 = micros[(int)Math.Ceiling(0.99 * Samples) - 1];
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"fsync latency: {Samples} x (append {BlockBytes} B + fsync) to a file in {directory}"));
        Console.WriteLine(string.Create(inv, $"  median {median:F0} us"));
        Console.WriteLine(string.Create(inv, $"  p99    {p99:F0} us"));
        Console.WriteLine(string.Create(inv, $"  min    {micros[0]:F0} us, mean {micros.Average():F0} us, max {micros[^1]:F0} us"));
        return 0;
    }
}
