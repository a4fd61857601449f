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
    /// The largest amount, balance and total supply, in base units: 2^96 − 1, what a .NET <see cref="decimal"/> holds
    /// exactly at any scale (so every amount is a decimal to clients): 79228162514264337593543950335 tokens at 0
    /// decimals, 792281625142643375935439503.35 at 2, 79228162514.264337593543950335 at 18.
    /// </summary>
    public static readonly BigInteger MaxUnits = (BigInteger.One << 96) - 1;

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

        // More digits than the largest amount has is too large whatever they are (and not worth parsing).
        var digits = (string.Concat(whole, fraction) + new string('0', decimals - fraction.Length)).TrimStart('0');
        var units = digits.Length == 0 ? BigInteger.Zero
            : digits.Length > 29 ? MaxUnits + 1
            : BigInteger.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
        return units <= MaxUnits
            ? units
            : throw Bad($"'{argument}' \"{Shown(text)}\" is above the largest amount, {Format(MaxUnits, decimals)} {symbol} (2^96 - 1 base units, what a decimal holds exactly).");
    }

    /// <summary>The largest amount at <paramref name="decimals"/>, as text.</summary>
    public static string Max(int decimals) => Format(MaxUnits, decimals);

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
