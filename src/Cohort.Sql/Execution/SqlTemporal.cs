using System.Globalization;
using System.Text.RegularExpressions;
using Cohort.Core;
using Cohort.Sql.Ast;

namespace Cohort.Sql.Execution;

/// <summary>
/// DATE, TIME, TIMESTAMP and UUID values and PostgreSQL's operations on them. Each is a <see cref="ValueKind.String"/>
/// in PostgreSQL's own output form, chosen so that ordinal string order is the type's order: DATE <c>yyyy-MM-dd</c>,
/// TIME <c>HH:mm:ss[.ffffff]</c>, TIMESTAMP <c>yyyy-MM-dd HH:mm:ss[.ffffff]</c> (years 1 to 9999), UUID lowercase with
/// hyphens. Which of them a string is comes from the column or expression type, which the compiler knows statically;
/// INTERVAL is <see cref="SqlInterval"/>.
/// </summary>
internal static partial class SqlTemporal
{
    private static readonly DateOnly Epoch = new(1970, 1, 1);

    /// <summary>Parses DATE input (ISO <c>y-m-d</c>, optionally followed by a time, <c>yyyymmdd</c>, or <c>epoch</c>).</summary>
    public static DateOnly ParseDate(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.Equals("epoch", StringComparison.OrdinalIgnoreCase))
        {
            return Epoch;
        }

        var match = DatePattern().Match(trimmed);
        if (!match.Success)
        {
            throw SqlError.Type($"invalid input syntax for type date: \"{text}\"");
        }

        var year = int.Parse(match.Groups["y"].Value, CultureInfo.InvariantCulture);
        var month = int.Parse(match.Groups["m"].Value, CultureInfo.InvariantCulture);
        var day = int.Parse(match.Groups["d"].Value, CultureInfo.InvariantCulture);
        if (month is < 1 or > 12 || day < 1 || year is < 1 or > 9999 || day > DateTime.DaysInMonth(Math.Clamp(year, 1, 9999), month))
        {
            throw SqlError.Type($"date/time field value out of range: \"{text}\"");
        }

        if (match.Groups["rest"].Success && match.Groups["rest"].Value.Length > 0)
        {
            // The time after the date is checked, then dropped.
            ParseTimeMicros(match.Groups["rest"].Value, text, "date");
        }

        return new DateOnly(year, month, day);
    }

    /// <summary>The DATE value of <paramref name="date"/>.</summary>
    public static Value FromDate(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Reads a DATE (or the date of a TIMESTAMP) value.</summary>
    public static DateOnly ToDate(Value value) => ParseDate(value.AsString());

    /// <summary>Parses TIME input <c>h:mm[:ss[.f]]</c>, optionally after a date; a zone suffix is ignored.</summary>
    public static long ParseTime(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        var match = DatePrefix().Match(trimmed);
        if (match.Success)
        {
            trimmed = trimmed[match.Length..];
        }

        return ParseTimeMicros(trimmed, text, "time without time zone");
    }

    /// <summary>The TIME value of <paramref name="micros"/> microseconds after midnight (0 to 24:00:00).</summary>
    public static Value FromTime(long micros)
    {
        var hours = micros / SqlInterval.MicrosPerHour;
        var minutes = micros / 60_000_000L % 60;
        var seconds = micros / 1_000_000L % 60;
        var fraction = micros % 1_000_000L;
        var text = string.Create(CultureInfo.InvariantCulture, $"{hours:00}:{minutes:00}:{seconds:00}");
        return fraction == 0 ? text : text + "." + fraction.ToString("000000", CultureInfo.InvariantCulture).TrimEnd('0');
    }

    /// <summary>Reads a TIME value as microseconds after midnight.</summary>
    public static long ToTime(Value value) => ParseTime(value.AsString());

    /// <summary>Reads a TIMESTAMP (or a DATE, as its midnight) value.</summary>
    public static DateTime ToTimestamp(Value value)
    {
        var text = SqlSemantics.Cast(value, new SqlType(SqlTypeKind.Timestamp)).AsString();
        return DateTime.ParseExact(text, ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.FFFFFF"], CultureInfo.InvariantCulture, DateTimeStyles.None);
    }

    /// <summary>The TIMESTAMP value of <paramref name="time"/>.</summary>
    public static Value FromTimestamp(DateTime time) => EvaluationContext.FormatTimestamp(DateTime.SpecifyKind(time, DateTimeKind.Unspecified));

    /// <summary>Parses UUID input as PostgreSQL does: 32 hex digits, a hyphen allowed after any group of four, optional braces.</summary>
    public static Value ParseUuid(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.AsSpan();
        var braces = s.Length > 0 && s[0] == '{';
        if (braces)
        {
            s = s[1..];
        }

        Span<char> digits = stackalloc char[32];
        for (var i = 0; i < 16; i++)
        {
            if (s.Length < 2 || !char.IsAsciiHexDigit(s[0]) || !char.IsAsciiHexDigit(s[1]))
            {
                throw UuidSyntax(text);
            }

            digits[2 * i] = char.ToLowerInvariant(s[0]);
            digits[(2 * i) + 1] = char.ToLowerInvariant(s[1]);
            s = s[2..];
            if (s.Length > 0 && s[0] == '-' && i % 2 == 1 && i < 15)
            {
                s = s[1..];
            }
        }

        if (braces)
        {
            if (s.Length == 0 || s[0] != '}')
            {
                throw UuidSyntax(text);
            }

            s = s[1..];
        }

        if (s.Length != 0)
        {
            throw UuidSyntax(text);
        }

        var hex = new string(digits);
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }

    /// <summary>A random (version 4) UUID, as gen_random_uuid().</summary>
    public static Value RandomUuid()
    {
        // Drawn from the executor's random source, so a simulated run is reproducible.
        Span<byte> bytes = stackalloc byte[16];
        Cohort.Core.Execution.Executor.Current.Random.NextBytes(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        var hex = Convert.ToHexStringLower(bytes);
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }

    /// <summary>date + days.</summary>
    public static Value AddDays(DateOnly date, long days)
    {
        var result = date.DayNumber + days;
        return result >= DateOnly.MinValue.DayNumber && result <= DateOnly.MaxValue.DayNumber
            ? FromDate(DateOnly.FromDayNumber((int)result))
            : throw SqlError.Type("date out of range");
    }

    /// <summary>timestamp + interval, as PostgreSQL: months first (the day clamped to the month's length), then days, then time.</summary>
    public static Value AddInterval(DateTime time, SqlInterval interval)
    {
        try
        {
            if (interval.Months != 0)
            {
                var totalMonths = (time.Year * 12L) + time.Month - 1 + interval.Months;
                var year = (int)Math.DivRem(totalMonths, 12L, out var month0);
                if (month0 < 0)
                {
                    month0 += 12;
                    year--;
                }

                var month = (int)month0 + 1;
                if (year is < 1 or > 9999)
                {
                    throw SqlError.OutOfRange("timestamp");
                }

                var day = Math.Min(time.Day, DateTime.DaysInMonth(year, month));
                time = new DateTime(year, month, day) + time.TimeOfDay;
            }

            time = time.AddDays(interval.Days).AddTicks(checked(interval.Micros * 10));
            return FromTimestamp(time);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw SqlError.OutOfRange("timestamp");
        }
        catch (OverflowException)
        {
            throw SqlError.OutOfRange("timestamp");
        }
    }

    /// <summary>timestamp − timestamp: an interval of days and time (PostgreSQL's justify_hours of the difference).</summary>
    public static SqlInterval Difference(DateTime a, DateTime b) => new SqlInterval(0, 0, (a.Ticks - b.Ticks) / 10).JustifyHours();

    /// <summary>time + interval: the interval's time part, wrapped around midnight.</summary>
    public static Value AddToTime(long time, SqlInterval interval)
    {
        var result = (time + (interval.Micros % SqlInterval.MicrosPerDay)) % SqlInterval.MicrosPerDay;
        return FromTime(result < 0 ? result + SqlInterval.MicrosPerDay : result);
    }

    /// <summary>extract / date_part over a timestamp (or a date as its midnight, when <paramref name="dateOnly"/> refuses the time fields).</summary>
    public static decimal Extract(string field, DateTime time, string typeName, bool dateOnly)
    {
        var unit = Field(field);
        var micros = (time.Ticks % TimeSpan.TicksPerMinute) / 10;
        if (dateOnly && unit is "hour" or "minute" or "second" or "millisecond" or "microsecond")
        {
            throw SqlError.Type($"unit \"{field}\" not supported for type date");
        }

        return unit switch
        {
            "year" => time.Year,
            "month" => time.Month,
            "day" => time.Day,
            "hour" => time.Hour,
            "minute" => time.Minute,
            "second" => micros / 1_000_000m,
            "millisecond" => micros / 1000m,
            "microsecond" => micros,
            "dow" => (int)time.DayOfWeek,
            "isodow" => time.DayOfWeek == DayOfWeek.Sunday ? 7 : (int)time.DayOfWeek,
            "doy" => time.DayOfYear,
            "quarter" => ((time.Month - 1) / 3) + 1,
            "week" => ISOWeek.GetWeekOfYear(time),
            "isoyear" => ISOWeek.GetYear(time),
            "decade" => time.Year / 10,
            "century" => (time.Year + 99) / 100,
            "millennium" => (time.Year + 999) / 1000,
            "julian" => DateOnly.FromDateTime(time).DayNumber + 1721426m + ((time.Ticks % TimeSpan.TicksPerDay) / (decimal)TimeSpan.TicksPerDay),
            "epoch" => (time.Ticks - DateTime.UnixEpoch.Ticks) / 10 / 1_000_000m,
            _ => throw SqlError.Type($"unit \"{field}\" not recognized for type {typeName}"),
        };
    }

    /// <summary>extract / date_part over a TIME.</summary>
    public static decimal ExtractTime(string field, long time) => Field(field) switch
    {
        "hour" => time / SqlInterval.MicrosPerHour,
        "minute" => time / 60_000_000L % 60,
        "second" => time % 60_000_000L / 1_000_000m,
        "millisecond" => time % 60_000_000L / 1000m,
        "microsecond" => time % 60_000_000L,
        "epoch" => time / 1_000_000m,
        _ => throw SqlError.Type($"unit \"{field}\" not supported for type time without time zone"),
    };

    /// <summary>extract / date_part over an INTERVAL.</summary>
    public static decimal ExtractInterval(string field, SqlInterval interval) => Field(field) switch
    {
        "year" => interval.Months / 12,
        "month" => interval.Months % 12,
        "day" => interval.Days,
        "hour" => interval.Micros / SqlInterval.MicrosPerHour,
        "minute" => interval.Micros / 60_000_000L % 60,
        "second" => interval.Micros % 60_000_000L / 1_000_000m,
        "millisecond" => interval.Micros % 60_000_000L / 1000m,
        "microsecond" => interval.Micros % 60_000_000L,
        "quarter" => (interval.Months % 12 / 3) + 1,
        "decade" => interval.Months / 120,
        "century" => interval.Months / 1200,
        "millennium" => interval.Months / 12000,
        "epoch" => (interval.Micros / 1_000_000m) + (interval.Months / 12 * 31_557_600m) + (interval.Months % 12 * 2_592_000m) + (interval.Days * 86_400m),
        _ => throw SqlError.Type($"unit \"{field}\" not supported for type interval"),
    };

    /// <summary>date_trunc over a timestamp.</summary>
    public static Value Truncate(string field, DateTime time)
    {
        var t = Field(field) switch
        {
            "microsecond" => time,
            "millisecond" => new DateTime(time.Ticks - (time.Ticks % TimeSpan.TicksPerMillisecond)),
            "second" => new DateTime(time.Ticks - (time.Ticks % TimeSpan.TicksPerSecond)),
            "minute" => new DateTime(time.Ticks - (time.Ticks % TimeSpan.TicksPerMinute)),
            "hour" => new DateTime(time.Ticks - (time.Ticks % TimeSpan.TicksPerHour)),
            "day" => time.Date,
            "week" => time.Date.AddDays(-(((int)time.DayOfWeek + 6) % 7)),
            "month" => new DateTime(time.Year, time.Month, 1),
            "quarter" => new DateTime(time.Year, (((time.Month - 1) / 3) * 3) + 1, 1),
            "year" => new DateTime(time.Year, 1, 1),
            "decade" => new DateTime(Math.Max(1, time.Year / 10 * 10), 1, 1),
            "century" => new DateTime(((time.Year - 1) / 100 * 100) + 1, 1, 1),
            "millennium" => new DateTime(((time.Year - 1) / 1000 * 1000) + 1, 1, 1),
            _ => throw SqlError.Type($"unit \"{field}\" not recognized for type timestamp without time zone"),
        };
        return FromTimestamp(t);
    }

    /// <summary>date_trunc over an interval.</summary>
    public static SqlInterval Truncate(string field, SqlInterval interval)
    {
        static long Down(long value, long unit) => value / unit * unit;
        return Field(field) switch
        {
            "microsecond" => interval,
            "millisecond" => interval with { Micros = Down(interval.Micros, 1000) },
            "second" => interval with { Micros = Down(interval.Micros, 1_000_000) },
            "minute" => interval with { Micros = Down(interval.Micros, 60_000_000) },
            "hour" => interval with { Micros = Down(interval.Micros, SqlInterval.MicrosPerHour) },
            "day" => interval with { Micros = 0 },
            "month" => new SqlInterval(interval.Months, 0, 0),
            "quarter" => new SqlInterval((int)Down(interval.Months, 3), 0, 0),
            "year" => new SqlInterval((int)Down(interval.Months, 12), 0, 0),
            "decade" => new SqlInterval((int)Down(interval.Months, 120), 0, 0),
            "century" => new SqlInterval((int)Down(interval.Months, 1200), 0, 0),
            "millennium" => new SqlInterval((int)Down(interval.Months, 12000), 0, 0),
            _ => throw SqlError.Type($"unit \"{field}\" not supported for type interval"),
        };
    }

    /// <summary>make_date(year, month, day).</summary>
    public static Value MakeDate(long year, long month, long day)
    {
        if (year is < 1 or > 9999 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth((int)year, (int)month))
        {
            throw SqlError.Type($"date field value out of range: {year}-{month:00}-{day:00}");
        }

        return FromDate(new DateOnly((int)year, (int)month, (int)day));
    }

    /// <summary>age(a, b): the difference in years, months and days (then time), as PostgreSQL's symbolic result.</summary>
    public static SqlInterval Age(DateTime a, DateTime b)
    {
        var negative = a < b;
        var (hi, lo) = negative ? (b, a) : (a, b);
        var micros = (hi.TimeOfDay.Ticks - lo.TimeOfDay.Ticks) / 10;
        var days = hi.Day - lo.Day;
        var months = hi.Month - lo.Month;
        var years = hi.Year - lo.Year;
        if (micros < 0)
        {
            micros += SqlInterval.MicrosPerDay;
            days--;
        }

        while (days < 0)
        {
            // Borrow the length of the earlier timestamp's month, as PostgreSQL does.
            months--;
            days += DateTime.DaysInMonth(lo.Year, lo.Month);
        }

        if (months < 0)
        {
            months += 12;
            years--;
        }

        var result = new SqlInterval((years * 12) + months, days, micros);
        return negative ? result.Negate() : result;
    }

    private static long ParseTimeMicros(string text, string original, string typeName)
    {
        var trimmed = TimeZoneSuffix().Replace(text.Trim(), "");
        var match = TimePattern().Match(trimmed);
        if (!match.Success)
        {
            throw SqlError.Type($"invalid input syntax for type {typeName}: \"{original}\"");
        }

        var hour = int.Parse(match.Groups["h"].Value, CultureInfo.InvariantCulture);
        var minute = int.Parse(match.Groups["m"].Value, CultureInfo.InvariantCulture);
        var second = match.Groups["s"].Success ? int.Parse(match.Groups["s"].Value, CultureInfo.InvariantCulture) : 0;
        var fraction = match.Groups["f"].Success
            ? (long)Math.Round(decimal.Parse("0" + match.Groups["f"].Value, CultureInfo.InvariantCulture) * 1_000_000m, MidpointRounding.ToEven)
            : 0;
        if (hour > 24 || minute > 59 || second > 60 || (hour == 24 && (minute > 0 || second > 0 || fraction > 0)))
        {
            throw SqlError.Type($"date/time field value out of range: \"{original}\"");
        }

        var micros = (hour * SqlInterval.MicrosPerHour) + (minute * 60_000_000L) + (second * 1_000_000L) + fraction;
        if (micros > SqlInterval.MicrosPerDay)
        {
            throw SqlError.Type($"date/time field value out of range: \"{original}\"");
        }

        return micros;
    }

    private static string Field(string field) => field.Trim().ToLowerInvariant() switch
    {
        "microsecond" or "microseconds" or "us" or "usec" or "usecs" => "microsecond",
        "millisecond" or "milliseconds" or "ms" or "msec" or "msecs" => "millisecond",
        "second" or "seconds" or "s" or "sec" or "secs" => "second",
        "minute" or "minutes" or "m" or "min" or "mins" => "minute",
        "hour" or "hours" or "h" or "hr" or "hrs" => "hour",
        "day" or "days" or "d" => "day",
        "week" or "weeks" or "w" => "week",
        "month" or "months" or "mon" or "mons" => "month",
        "quarter" or "qtr" => "quarter",
        "year" or "years" or "y" or "yr" or "yrs" => "year",
        "decade" or "decades" or "dec" or "decs" => "decade",
        "century" or "centuries" or "c" or "cent" => "century",
        "millennium" or "millennia" or "millenniums" or "mil" or "mils" => "millennium",
        var other => other,
    };

    private static CohortException UuidSyntax(string text) => SqlError.Type($"invalid input syntax for type uuid: \"{text}\"");

    [GeneratedRegex(@"^(?<y>\d{1,4})-(?<m>\d{1,2})-(?<d>\d{1,2})(?:(?:[ T]|$)(?<rest>.*))?$|^(?<y>\d{4})(?<m>\d{2})(?<d>\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex DatePattern();

    [GeneratedRegex(@"^\d{1,4}-\d{1,2}-\d{1,2}(?:[ T]|$)", RegexOptions.CultureInvariant)]
    private static partial Regex DatePrefix();

    [GeneratedRegex(@"^(?<h>\d{1,2}):(?<m>\d{1,2})(?::(?<s>\d{1,2})(?<f>\.\d*)?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex TimePattern();

    [GeneratedRegex(@"\s*(Z|[+-]\d{1,2}(:?\d{2})?)$", RegexOptions.CultureInvariant)]
    private static partial Regex TimeZoneSuffix();
}
