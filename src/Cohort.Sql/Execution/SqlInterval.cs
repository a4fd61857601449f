using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Cohort.Core;

namespace Cohort.Sql.Execution;

/// <summary>
/// A PostgreSQL INTERVAL: months, days and microseconds kept apart (a month is not a fixed number of days, nor a day
/// of hours across a daylight-saving change), compared as one span with a month of 30 days and a day of 24 hours.
/// </summary>
/// <remarks>
/// Stored as <c>Value.List([months, days, microseconds])</c> of three <see cref="ValueKind.Int64"/>s: no SQL value of
/// another type is a list, so a list value is an interval wherever it turns up (comparisons, sorting, index keys,
/// hashing), and its text form is printed where results leave the engine.
/// </remarks>
/// <param name="Months">Months (a year is 12).</param>
/// <param name="Days">Days.</param>
/// <param name="Micros">Microseconds.</param>
internal readonly record struct SqlInterval(int Months, int Days, long Micros)
{
    /// <summary>Microseconds in a day.</summary>
    public const long MicrosPerDay = 86_400_000_000L;

    /// <summary>Microseconds in an hour.</summary>
    public const long MicrosPerHour = 3_600_000_000L;

    /// <summary>Microseconds in a second.</summary>
    public const long MicrosPerSecond = 1_000_000L;

    /// <summary>The interval's stored value.</summary>
    public Value ToValue() => Value.List(ImmutableArray.Create(Value.From((long)Months), Value.From((long)Days), Value.From(Micros)));

    /// <summary>Whether <paramref name="value"/> is a stored interval.</summary>
    public static bool IsInterval(Value value) => value.Kind == ValueKind.List && value.AsList() is { Length: 3 } items
        && items[0].Kind == ValueKind.Int64 && items[1].Kind == ValueKind.Int64 && items[2].Kind == ValueKind.Int64;

    /// <summary>Reads a stored interval.</summary>
    public static SqlInterval FromValue(Value value)
    {
        if (!IsInterval(value))
        {
            throw SqlError.Type($"expected an interval, not {SqlSemantics.TypeName(value)}");
        }

        var items = value.AsList();
        return new((int)items[0].AsInt64(), (int)items[1].AsInt64(), items[2].AsInt64());
    }

    /// <summary>The span PostgreSQL compares intervals by: a month is 30 days, a day 24 hours.</summary>
    public Int128 Span => ((Int128)Months * 30 + Days) * MicrosPerDay + Micros;

    /// <summary>Compares by <see cref="Span"/>.</summary>
    public static int Compare(SqlInterval a, SqlInterval b) => a.Span.CompareTo(b.Span);

    /// <summary>Field-wise sum; out of range is PostgreSQL's "interval out of range".</summary>
    public static SqlInterval Add(SqlInterval a, SqlInterval b) => Checked(() => new SqlInterval(checked(a.Months + b.Months), checked(a.Days + b.Days), checked(a.Micros + b.Micros)));

    /// <summary>Field-wise negation.</summary>
    public SqlInterval Negate()
    {
        var (months, days, micros) = (Months, Days, Micros);
        return Checked(() => new SqlInterval(checked(-months), checked(-days), checked(-micros)));
    }

    /// <summary>PostgreSQL's interval_mul: fractions of months flow into days and fractions of days into time.</summary>
    public SqlInterval Multiply(double factor)
    {
        var months = Months * factor;
        var days = Days * factor;
        if (!double.IsFinite(months) || !double.IsFinite(days) || Math.Abs(months) > int.MaxValue || Math.Abs(days) > int.MaxValue)
        {
            throw OutOfRange();
        }

        return Scaled(months, days, Micros * factor);
    }

    /// <summary>PostgreSQL's interval_div.</summary>
    public SqlInterval Divide(double divisor)
    {
        if (divisor == 0)
        {
            throw SqlError.DivisionByZero();
        }

        return Scaled(Months / divisor, Days / divisor, Micros / divisor);
    }

    // The scaled fields of interval_mul and interval_div: fractions of months flow into days (30 per month) and
    // fractions of days into time, rounded as PostgreSQL's TSROUND does.
    private static SqlInterval Scaled(double months, double days, double micros)
    {
        var resultMonths = (int)months;
        var resultDays = (int)days;
        var monthRemainderDays = TsRound((months - resultMonths) * 30);
        var secondRemainder = TsRound((days - resultDays + monthRemainderDays - (int)monthRemainderDays) * 86400);
        if (Math.Abs(secondRemainder) >= 86400)
        {
            resultDays += (int)(secondRemainder / 86400);
            secondRemainder -= (int)(secondRemainder / 86400) * 86400;
        }

        resultDays += (int)monthRemainderDays;
        var total = Math.Round(micros + (secondRemainder * MicrosPerSecond), MidpointRounding.ToEven);
        return double.IsFinite(total) && Math.Abs(total) < 9.2e18 ? new SqlInterval(resultMonths, resultDays, (long)total) : throw OutOfRange();
    }

    /// <summary>PostgreSQL's justify_hours: whole days out of the time part, with day and time of one sign.</summary>
    public SqlInterval JustifyHours()
    {
        var wholeDays = Micros / MicrosPerDay;
        var micros = Micros - (wholeDays * MicrosPerDay);
        var days = checked(Days + (int)wholeDays);
        if (days > 0 && micros < 0)
        {
            micros += MicrosPerDay;
            days--;
        }
        else if (days < 0 && micros > 0)
        {
            micros -= MicrosPerDay;
            days++;
        }

        return new SqlInterval(Months, days, micros);
    }

    /// <summary>The text form in PostgreSQL's default (<c>postgres</c>) interval style, e.g. <c>1 year 2 mons 3 days 04:05:06</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        var isZero = true;
        var isBefore = false;
        AddPart(sb, Months / 12, "year", ref isZero, ref isBefore);
        AddPart(sb, Months % 12, "mon", ref isZero, ref isBefore);
        AddPart(sb, Days, "day", ref isZero, ref isBefore);
        var hours = Micros / MicrosPerHour;
        var rest = Micros - (hours * MicrosPerHour);
        var minutes = rest / 60_000_000L;
        rest -= minutes * 60_000_000L;
        var seconds = rest / MicrosPerSecond;
        var fraction = rest - (seconds * MicrosPerSecond);
        if (isZero || Micros != 0)
        {
            var minus = hours < 0 || minutes < 0 || seconds < 0 || fraction < 0;
            sb.Append(isZero ? "" : " ").Append(minus ? "-" : isBefore ? "+" : "")
                .Append(Math.Abs(hours).ToString("00", CultureInfo.InvariantCulture)).Append(':')
                .Append(Math.Abs(minutes).ToString("00", CultureInfo.InvariantCulture)).Append(':')
                .Append(Math.Abs(seconds).ToString("00", CultureInfo.InvariantCulture));
            if (fraction != 0)
            {
                sb.Append('.').Append(Math.Abs(fraction).ToString("000000", CultureInfo.InvariantCulture).TrimEnd('0'));
            }
        }

        return sb.ToString();
    }

    private static void AddPart(StringBuilder sb, long value, string unit, ref bool isZero, ref bool isBefore)
    {
        if (value == 0)
        {
            return;
        }

        sb.Append(isZero ? "" : " ").Append(isBefore && value > 0 ? "+" : "").Append(value.ToString(CultureInfo.InvariantCulture))
            .Append(' ').Append(unit).Append(value != 1 ? "s" : "");
        isBefore = value < 0;
        isZero = false;
    }

    /// <summary>
    /// Parses PostgreSQL's interval input: <c>[@] quantity unit [quantity unit…] [hh:mm[:ss[.f]]] [ago]</c> with units from
    /// microseconds to millennia (fractions flow down: 1.5 days is 1 day 12:00:00), a bare number of seconds, or ISO-8601-free
    /// time fields.
    /// </summary>
    public static SqlInterval Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = Tokenize(text.Trim().ToLowerInvariant());
        if (tokens.Count > 0 && tokens[0] == "@")
        {
            tokens.RemoveAt(0);
        }

        var ago = false;
        if (tokens.Count > 0 && tokens[^1] == "ago")
        {
            ago = true;
            tokens.RemoveAt(tokens.Count - 1);
        }

        if (tokens.Count == 0)
        {
            throw Syntax(text);
        }

        decimal months = 0, days = 0, micros = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (token.Contains(':', StringComparison.Ordinal))
            {
                if (!seen.Add("time"))
                {
                    throw Syntax(text);
                }

                micros += ParseTimeField(token, text);
                continue;
            }

            if (!decimal.TryParse(token, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var quantity))
            {
                throw Syntax(text);
            }

            if (i + 1 >= tokens.Count || tokens[i + 1].Contains(':', StringComparison.Ordinal))
            {
                // A bare number is seconds.
                if (!seen.Add("second"))
                {
                    throw Syntax(text);
                }

                micros += quantity * MicrosPerSecond;
                continue;
            }

            var unit = Unit(tokens[++i]) ?? throw Syntax(text);
            if (!seen.Add(unit))
            {
                throw Syntax(text);
            }

            switch (unit)
            {
                case "millennium": months += quantity * 12000; break;
                case "century": months += quantity * 1200; break;
                case "decade": months += quantity * 120; break;
                case "year": months += quantity * 12; break;
                case "month": months += quantity; break;
                case "week": days += quantity * 7; break;
                case "day": days += quantity; break;
                case "hour": micros += quantity * MicrosPerHour; break;
                case "minute": micros += quantity * 60_000_000L; break;
                case "second": micros += quantity * MicrosPerSecond; break;
                case "millisecond": micros += quantity * 1000; break;
                default: micros += quantity; break;
            }
        }

        try
        {
            // Fractions flow down: a fractional month into days (30 a month), a fractional day into time.
            var wholeMonths = decimal.Truncate(months);
            days += (months - wholeMonths) * 30;
            var wholeDays = decimal.Truncate(days);
            micros += (days - wholeDays) * MicrosPerDay;
            var result = new SqlInterval(checked((int)wholeMonths), checked((int)wholeDays), checked((long)decimal.Round(micros, MidpointRounding.ToEven)));
            return ago ? result.Negate() : result;
        }
        catch (OverflowException)
        {
            throw SqlError.Type($"interval field value out of range: \"{text}\"");
        }
    }

    private static decimal ParseTimeField(string token, string text)
    {
        var negative = token.StartsWith('-');
        var body = token.TrimStart('+', '-');
        var parts = body.Split(':');
        if (parts.Length is < 2 or > 3 || parts.Any(p => p.Length == 0))
        {
            throw Syntax(text);
        }

        if (!long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var hours)
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minutes))
        {
            throw Syntax(text);
        }

        decimal seconds = 0;
        if (parts.Length == 3 && !decimal.TryParse(parts[2], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out seconds))
        {
            throw Syntax(text);
        }

        if (minutes > 59 || seconds >= 60)
        {
            throw SqlError.Type($"interval field value out of range: \"{text}\"");
        }

        var total = (hours * (decimal)MicrosPerHour) + (minutes * 60_000_000m) + (seconds * MicrosPerSecond);
        return negative ? -total : total;
    }

    private static List<string> Tokenize(string text)
    {
        // "1day" and "1 day" alike: split at spaces and between a number and a letter.
        var tokens = new List<string>();
        var i = 0;
        while (i < text.Length)
        {
            if (char.IsWhiteSpace(text[i]) || text[i] == ',')
            {
                i++;
                continue;
            }

            var start = i;
            if (char.IsAsciiLetter(text[i]))
            {
                while (i < text.Length && char.IsAsciiLetter(text[i]))
                {
                    i++;
                }
            }
            else if (text[i] == '@')
            {
                i++;
            }
            else
            {
                while (i < text.Length && !char.IsWhiteSpace(text[i]) && !char.IsAsciiLetter(text[i]) && text[i] != ',')
                {
                    i++;
                }
            }

            tokens.Add(text[start..i]);
        }

        return tokens;
    }

    private static string? Unit(string word) => word switch
    {
        "millennium" or "millenniums" or "millennia" or "mil" or "mils" => "millennium",
        "century" or "centuries" or "c" or "cent" => "century",
        "decade" or "decades" or "dec" or "decs" => "decade",
        "year" or "years" or "y" or "yr" or "yrs" => "year",
        "month" or "months" or "mon" or "mons" => "month",
        "week" or "weeks" or "w" => "week",
        "day" or "days" or "d" => "day",
        "hour" or "hours" or "h" or "hr" or "hrs" => "hour",
        "minute" or "minutes" or "m" or "min" or "mins" => "minute",
        "second" or "seconds" or "s" or "sec" or "secs" => "second",
        "millisecond" or "milliseconds" or "ms" or "msec" or "msecs" => "millisecond",
        "microsecond" or "microseconds" or "us" or "usec" or "usecs" => "microsecond",
        _ => null,
    };

    private static double TsRound(double x) => Math.Round(x * 1e6, MidpointRounding.ToEven) / 1e6;

    private static SqlInterval Checked(Func<SqlInterval> compute)
    {
        try
        {
            return compute();
        }
        catch (OverflowException)
        {
            throw OutOfRange();
        }
    }

    /// <summary>PostgreSQL's "interval out of range".</summary>
    public static CohortException OutOfRange() => SqlError.OutOfRange("interval");

    private static CohortException Syntax(string text) => SqlError.Type($"invalid input syntax for type interval: \"{text}\"");
}
