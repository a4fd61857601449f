using System.Globalization;

namespace Cohort.Cli;

/// <summary>
/// Parses the duration options of every command: a number with a unit, <c>500ms</c>, <c>2s</c>, <c>1m</c>, <c>1h</c>, or a bare
/// number, which is seconds (<c>--duration 10</c> is ten seconds). NaN, infinities and values outside the option's range
/// are refused with a message, never turned into an overflow.
/// </summary>
internal static class Durations
{
    /// <summary>What <c>--help</c> says about every duration option.</summary>
    public const string Syntax = "A number with a unit (500ms, 2s, 1m, 1h); a bare number is seconds.";

    private static readonly (string Suffix, double Milliseconds)[] Units = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)];

    /// <summary>Parses <paramref name="text"/>, or says why it is not a duration above zero (or zero, when allowed) and at most <paramref name="max"/>.</summary>
    public static bool TryParse(string? text, bool allowZero, TimeSpan max, out TimeSpan duration, out string error)
    {
        duration = default;
        var t = (text ?? string.Empty).Trim();
        var number = t;
        var scale = 1000.0;
        foreach (var (suffix, milliseconds) in Units)
        {
            if (t.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                number = t[..^suffix.Length];
                scale = milliseconds;
                break;
            }
        }

        // "1e400" parses as infinity and "NaN" as NaN: both are refused here, before TimeSpan could overflow.
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            || !double.IsFinite(n))
        {
            error = $"'{text}' is not a duration; use e.g. 500ms, 2s, 1m or 1h (a bare number is seconds)";
            return false;
        }

        var ms = n * scale;
        if (!double.IsFinite(ms) || ms > max.TotalMilliseconds || (allowZero ? ms < 0 : ms <= 0))
        {
            error = $"'{text}' is out of range: give {(allowZero ? "0" : "more than 0")} up to {Show(max)}";
            return false;
        }

        duration = TimeSpan.FromMilliseconds(ms);
        error = string.Empty;
        return true;
    }

    /// <summary>A duration as people write it: <c>500ms</c>, <c>30s</c>, <c>10m</c>, <c>24h</c>.</summary>
    public static string Show(TimeSpan value) =>
        value.TotalMilliseconds < 1000 ? string.Create(CultureInfo.InvariantCulture, $"{value.TotalMilliseconds:0.###}ms")
        : value.TotalSeconds < 600 || value.TotalSeconds % 60 != 0 ? string.Create(CultureInfo.InvariantCulture, $"{value.TotalSeconds:0.###}s")
        : value.TotalMinutes % 60 != 0 ? string.Create(CultureInfo.InvariantCulture, $"{value.TotalMinutes:0.###}m")
        : string.Create(CultureInfo.InvariantCulture, $"{value.TotalHours:0.###}h");
}
