using System.Globalization;
using System.Numerics;
using Cohort.Core;

namespace Cohort.Engines.Resource;

/// <summary>
/// Exact token amounts: an integer count of base units (10^-decimals of a token), parsed from and
/// formatted to decimal strings. Never floating point; never rounded.
/// </summary>
internal static class Amount
{
    /// <summary>Largest number of decimals a resource may have.</summary>
    public const int MaxDecimals = 18;

    /// <summary>
    /// The largest amount, balance and total supply in whole tokens, at any number of decimals: <see cref="decimal.MaxValue"/>,
    /// 79228162514264337593543950335, so that no amount is beyond a .NET decimal's range. (An amount with more
    /// significant digits than a decimal's 28–29, possible at 18 decimals, is still exact here and as a string; the
    /// .NET client reports it rather than round it.)
    /// </summary>
    public static readonly BigInteger MaxTokens = new(decimal.MaxValue);

    private static readonly BigInteger[] MaxUnitsByDecimals =
        [.. Enumerable.Range(0, MaxDecimals + 1).Select(d => MaxTokens * BigInteger.Pow(10, d))];

    /// <summary>The largest amount in base units at <paramref name="decimals"/>: <see cref="MaxTokens"/> × 10^decimals.</summary>
    public static BigInteger MaxUnits(int decimals) => MaxUnitsByDecimals[decimals];

    /// <summary>Parses a strictly positive amount given as a decimal string (or an exact integer/decimal value).</summary>
    public static BigInteger ParsePositive(Value value, int decimals, string argument, string symbol)
    {
        string text;
        switch (value.Kind)
        {
            case ValueKind.String:
                text = value.AsString();
                break;
            case ValueKind.Int64:
                text = value.AsInt64().ToString(CultureInfo.InvariantCulture);
                break;
            case ValueKind.Decimal:
                text = value.AsDecimal().ToString(CultureInfo.InvariantCulture);
                break;
            default:
                throw Bad($"'{argument}' must be a decimal string such as \"10.50\" (got {value.Kind}); amounts are never floating point.");
        }

        var amount = Parse(text, decimals, argument, symbol);
        return amount.Sign > 0 ? amount : throw Bad($"'{argument}' must be greater than zero (got \"{text}\").");
    }

    /// <summary>Parses a non-negative decimal string with at most <paramref name="decimals"/> fractional digits.</summary>
    public static BigInteger Parse(string text, int decimals, string argument, string symbol)
    {
        var span = text.AsSpan();
        var point = span.IndexOf('.');
        var whole = point < 0 ? span : span[..point];
        var fraction = point < 0 ? [] : span[(point + 1)..];
        if (whole.IsEmpty || (point >= 0 && fraction.IsEmpty) || !IsDigits(whole) || !IsDigits(fraction))
        {
            throw Bad($"'{argument}' must be a non-negative decimal number such as \"10.50\" (got \"{Shown(text)}\").");
        }

        if (fraction.Length > decimals)
        {
            throw Bad($"'{argument}' \"{Shown(text)}\" has {fraction.Length} fractional digits but {symbol} has {decimals}; amounts are never rounded.");
        }

        // More whole digits than the largest amount has is too large whatever they are (and not worth parsing).
        var max = MaxUnits(decimals);
        var digits = (string.Concat(whole, fraction) + new string('0', decimals - fraction.Length)).TrimStart('0');
        var units = digits.Length == 0 ? BigInteger.Zero
            : digits.Length > 29 + decimals ? max + 1
            : BigInteger.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
        return units <= max
            ? units
            : throw Bad($"'{argument}' \"{Shown(text)}\" is above the largest amount, {Max(decimals)} {symbol} (a decimal's maximum).");
    }

    /// <summary>The largest amount at <paramref name="decimals"/>, as text.</summary>
    public static string Max(int decimals) => Format(MaxUnits(decimals), decimals);

    private static string Shown(string text) => text.Length <= 64 ? text : text[..64] + "…";

    /// <summary>Formats base units with exactly <paramref name="decimals"/> fractional digits.</summary>
    public static string Format(BigInteger units, int decimals)
    {
        var negative = units.Sign < 0;
        var digits = BigInteger.Abs(units).ToString(CultureInfo.InvariantCulture).PadLeft(decimals + 1, '0');
        var text = decimals == 0 ? digits : $"{digits[..^decimals]}.{digits[^decimals..]}";
        return negative ? "-" + text : text;
    }

    /// <summary>Reads a stored amount (base units as a string value); missing is zero.</summary>
    public static BigInteger FromStored(Value? stored) =>
        stored is { Kind: ValueKind.String } s ? BigInteger.Parse(s.AsString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : BigInteger.Zero;

    /// <summary>The stored form of an amount.</summary>
    public static Value ToStored(BigInteger units) => Value.From(units.ToString(CultureInfo.InvariantCulture));

    private static bool IsDigits(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private static CohortException Bad(string message) => new(ErrorCodes.BadOperation, message, isTransient: false);
}
