using System.Globalization;

namespace Cohort.Simulation.Runtime;

/// <summary>
/// The event trace of a run: every event folds into a 64-bit FNV-1a hash (two runs of a seed must end with the same
/// hash), and when <see cref="Keep"/> is set the lines are kept to print.
/// </summary>
internal sealed class SimTrace(bool keep)
{
    private const ulong Offset = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;
    private readonly List<string> _lines = [];

    public bool Keep { get; } = keep;

    public ulong Hash { get; private set; } = Offset;

    public long Events { get; private set; }

    public IReadOnlyList<string> Lines => _lines;

    public void Add(long now, string text)
    {
        Events++;
        var hash = Hash;
        foreach (var c in text)
        {
            hash = (hash ^ c) * Prime;
        }

        hash = (hash ^ (ulong)now) * Prime;
        Hash = hash;
        if (Keep)
        {
            _lines.Add(string.Create(CultureInfo.InvariantCulture, $"{now / TimeSpan.TicksPerMillisecond,8}.{now % TimeSpan.TicksPerMillisecond / 10:D3} ms  {text}"));
        }
    }
}
