using System.Globalization;

namespace Cohort.Cli;

/// <summary>Parses durations as the seed's flags take them: <c>500ms</c>, <c>2s</c>, <c>1m</c>, or a bare number of milliseconds.</summary>
internal static class Durations
{
    public static TimeSpan Parse(string text)
    {
        var t = text.Trim();
        (string Suffix, double Scale)[] units = [("ms", 1), ("s", 1000), ("m", 60_000)];
        foreach (var (suffix, scale) in units)
        {
            if (t.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(t[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n > 0)
            {
                return TimeSpan.FromMilliseconds(n * scale);
            }
        }

        return double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && ms > 0
            ? TimeSpan.FromMilliseconds(ms)
            : throw new FormatException($"'{text}' is not a duration; use e.g. 500ms, 2s, 1m.");
    }
}
