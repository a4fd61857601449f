using System.Globalization;

namespace Cohort.Core;

/// <summary>
/// A hybrid logical clock timestamp: 48 bits of Unix milliseconds and 16 bits of logical counter in
/// one 64-bit number, so timestamps compare as integers and stay close to wall time.
/// </summary>
public readonly record struct HlcTimestamp(long Value) : IComparable<HlcTimestamp>
{
    /// <summary>Bits of logical counter.</summary>
    public const int LogicalBits = 16;

    /// <summary>The zero timestamp, before everything.</summary>
    public static HlcTimestamp Zero => default;

    /// <summary>The largest timestamp.</summary>
    public static HlcTimestamp MaxValue => new(long.MaxValue);

    /// <summary>The physical part, Unix milliseconds.</summary>
    public long WallMilliseconds => Value >> LogicalBits;

    /// <summary>The logical part.</summary>
    public int Logical => (int)(Value & ((1 << LogicalBits) - 1));

    /// <summary>The wall-clock time of the physical part.</summary>
    public DateTimeOffset ToDateTimeOffset() => DateTimeOffset.FromUnixTimeMilliseconds(WallMilliseconds);

    /// <summary>The first timestamp at wall time <paramref name="time"/> (logical 0).</summary>
    public static HlcTimestamp FromDateTimeOffset(DateTimeOffset time) => new(time.ToUnixTimeMilliseconds() << LogicalBits);

    /// <summary>
    /// Parses either the raw 64-bit number or an ISO 8601 time (which maps to the last timestamp of
    /// that millisecond, so a read "as of" a time sees everything committed during it).
    /// </summary>
    public static bool TryParse(string? text, out HlcTimestamp timestamp)
    {
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var raw))
        {
            timestamp = new HlcTimestamp(raw);
            return true;
        }

        // Only times the 48 bits of milliseconds hold (1970 to the year 6429): others would wrap into a wrong timestamp.
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            && time.ToUnixTimeMilliseconds() is >= 0 and < (long.MaxValue >> LogicalBits))
        {
            timestamp = new HlcTimestamp(((time.ToUnixTimeMilliseconds() + 1) << LogicalBits) - 1);
            return true;
        }

        timestamp = default;
        return false;
    }

    /// <inheritdoc/>
    public int CompareTo(HlcTimestamp other) => Value.CompareTo(other.Value);

    /// <summary>Earlier than.</summary>
    public static bool operator <(HlcTimestamp left, HlcTimestamp right) => left.Value < right.Value;

    /// <summary>Later than.</summary>
    public static bool operator >(HlcTimestamp left, HlcTimestamp right) => left.Value > right.Value;

    /// <summary>Earlier or equal.</summary>
    public static bool operator <=(HlcTimestamp left, HlcTimestamp right) => left.Value <= right.Value;

    /// <summary>Later or equal.</summary>
    public static bool operator >=(HlcTimestamp left, HlcTimestamp right) => left.Value >= right.Value;

    /// <summary>Wall time and logical counter, e.g. <c>2026-11-21T22:43:04.123Z+3</c>.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{ToDateTimeOffset():yyyy-MM-ddTHH:mm:ss.fffZ}+{Logical}");
}
