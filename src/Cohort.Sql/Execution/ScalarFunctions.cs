using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using Cohort.Core;

namespace Cohort.Sql.Execution;

/// <summary>
/// PostgreSQL's common scalar functions over <see cref="Value"/>: the string functions (substring, trim, lpad, replace,
/// concat, strpos, initcap…) and the mathematical ones (ceil, trunc, sqrt, power, ln, log, trigonometry, gcd, div,
/// mod, greatest/least…), with PostgreSQL's result types and errors.
/// </summary>
/// <remarks>
/// Result types follow PostgreSQL's overload resolution: an integer argument to a function that has only
/// <c>numeric</c> and <c>double precision</c> forms takes the preferred <c>double precision</c> form (so
/// <c>sqrt(4)</c> and <c>ceil(4)</c> are doubles), a <c>numeric</c> argument keeps the <c>numeric</c> form
/// (<c>sqrt(4.0)</c> is numeric), and functions with an integer form keep integers (<c>mod(7, 2)</c>, <c>gcd</c>).
/// <c>div</c> exists only for numeric. Every function but concat, concat_ws, greatest and least returns NULL when an
/// argument is NULL.
/// </remarks>
internal static class ScalarFunctions
{
    /// <summary>The longest string a function builds (lpad, repeat…), as a guard against exhausting memory.</summary>
    public const int MaxResultLength = 10 * 1024 * 1024;

    private static readonly FrozenDictionary<string, Signature> _signatures = new Dictionary<string, Signature>
    {
        ["substr"] = new(2, 3, "TII"),
        ["substring"] = new(2, 3, "TII"),
        ["btrim"] = new(1, 2, "TT"),
        ["ltrim"] = new(1, 2, "TT"),
        ["rtrim"] = new(1, 2, "TT"),
        ["lpad"] = new(2, 3, "TIT"),
        ["rpad"] = new(2, 3, "TIT"),
        ["replace"] = new(3, 3, "TTT"),
        ["repeat"] = new(2, 2, "TI"),
        ["reverse"] = new(1, 1, "T"),
        ["left"] = new(2, 2, "TI"),
        ["right"] = new(2, 2, "TI"),
        ["strpos"] = new(2, 2, "TT"),
        ["ascii"] = new(1, 1, "T"),
        ["chr"] = new(1, 1, "I"),
        ["initcap"] = new(1, 1, "T"),
        ["concat"] = new(1, int.MaxValue, "A", Strict: false),
        ["concat_ws"] = new(2, int.MaxValue, "TA", Strict: false),
        ["ceil"] = new(1, 1, "N"),
        ["ceiling"] = new(1, 1, "N"),
        ["floor"] = new(1, 1, "N"),
        ["trunc"] = new(1, 2, "NI"),
        ["sign"] = new(1, 1, "N"),
        ["sqrt"] = new(1, 1, "N"),
        ["cbrt"] = new(1, 1, "N"),
        ["power"] = new(2, 2, "NN"),
        ["pow"] = new(2, 2, "NN"),
        ["exp"] = new(1, 1, "N"),
        ["ln"] = new(1, 1, "N"),
        ["log"] = new(1, 2, "NN"),
        ["log10"] = new(1, 1, "N"),
        ["sin"] = new(1, 1, "N"),
        ["cos"] = new(1, 1, "N"),
        ["tan"] = new(1, 1, "N"),
        ["cot"] = new(1, 1, "N"),
        ["asin"] = new(1, 1, "N"),
        ["acos"] = new(1, 1, "N"),
        ["atan"] = new(1, 1, "N"),
        ["atan2"] = new(2, 2, "NN"),
        ["degrees"] = new(1, 1, "N"),
        ["radians"] = new(1, 1, "N"),
        ["pi"] = new(0, 0, ""),
        ["gcd"] = new(2, 2, "EE"),
        ["lcm"] = new(2, 2, "EE"),
        ["div"] = new(2, 2, "EE"),
        ["mod"] = new(2, 2, "EE"),
        ["greatest"] = new(1, int.MaxValue, "A", Strict: false),
        ["least"] = new(1, int.MaxValue, "A", Strict: false),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>
    /// The argument categories of a parameter position: <c>T</c> text, <c>I</c> integer, <c>N</c> any number, <c>E</c> an
    /// exact number (integer or numeric: PostgreSQL does not cast double precision to numeric implicitly), <c>A</c> anything.
    /// </summary>
    /// <param name="Min">The fewest arguments.</param>
    /// <param name="Max">The most arguments.</param>
    /// <param name="Parameters">One category per position; the last repeats for a variadic function.</param>
    /// <param name="Strict">Whether a NULL argument makes the result NULL without calling the function.</param>
    public readonly record struct Signature(int Min, int Max, string Parameters, bool Strict = true)
    {
        /// <summary>The category of argument <paramref name="index"/> of a call of <paramref name="name"/> with <paramref name="arity"/> arguments.</summary>
        public char Category(string name, int arity, int index)
        {
            // log(b, x) exists for numeric only, and trunc(x, n) has no double precision form.
            if (arity == 2 && (name == "log" || (name == "trunc" && index == 0)))
            {
                return 'E';
            }

            return Parameters[Math.Min(index, Parameters.Length - 1)];
        }
    }

    /// <summary>Finds the signature of <paramref name="name"/> taking <paramref name="arity"/> arguments.</summary>
    public static bool TryGetSignature(string name, int arity, out Signature signature) =>
        _signatures.TryGetValue(name, out signature) && arity >= signature.Min && arity <= signature.Max;

    /// <summary>Calls <paramref name="name"/> (which has a signature) on <paramref name="args"/>.</summary>
    /// <exception cref="CohortException">An argument has the wrong type, or is outside the function's domain.</exception>
    public static Value Invoke(string name, Value[] args) => name switch
    {
        "substr" or "substring" => Substring(name, args),
        "btrim" or "ltrim" or "rtrim" => Trim(name, args),
        "lpad" or "rpad" => Pad(name, args),
        "replace" => Text(name, args, 0).Length == 0 || Text(name, args, 1).Length == 0
            ? Text(name, args, 0)
            : Limit(Text(name, args, 0).Replace(Text(name, args, 1), Text(name, args, 2), StringComparison.Ordinal)),
        "repeat" => Repeat(name, args),
        "reverse" => Reverse(Text(name, args, 0)),
        "left" or "right" => LeftRight(name, args),
        "strpos" => Text(name, args, 1).Length == 0 ? 1L : Text(name, args, 0).IndexOf(Text(name, args, 1), StringComparison.Ordinal) + 1L,
        "ascii" => Text(name, args, 0) is { Length: > 0 } s ? char.ConvertToUtf32(s, 0) : 0L,
        "chr" => Chr(Integer(name, args, 0)),
        "initcap" => InitCap(Text(name, args, 0)),
        "concat" => Concat(args, 0, ""),
        "concat_ws" => args[0].IsNull ? Value.Null : Concat(args, 1, Text(name, args, 0)),
        "ceil" or "ceiling" => Rounding(name, args[0], Math.Ceiling, decimal.Ceiling),
        "floor" => Rounding(name, args[0], Math.Floor, decimal.Floor),
        "trunc" when args.Length == 1 => Rounding(name, args[0], Math.Truncate, decimal.Truncate),
        "trunc" => TruncPlaces(name, args),
        "sign" => Rounding(name, args[0], x => Math.Sign(x), x => Math.Sign(x)),
        "sqrt" => Sqrt(name, args[0]),
        "cbrt" => Double(Cbrt(Float(name, args, 0))),
        "power" or "pow" => Power(name, args),
        "exp" => Exp(name, args[0]),
        "ln" => Logarithm(name, args[0], Math.Log),
        "log10" => Logarithm(name, args[0], Math.Log10),
        "log" when args.Length == 1 => Logarithm(name, args[0], Math.Log10),
        "log" => LogBase(name, args),
        "sin" => Double(Math.Sin(Float(name, args, 0))),
        "cos" => Double(Math.Cos(Float(name, args, 0))),
        "tan" => Double(Math.Tan(Float(name, args, 0))),
        "cot" => Double(1.0 / Math.Tan(Float(name, args, 0))),
        "asin" => Double(Math.Asin(InUnitRange(Float(name, args, 0)))),
        "acos" => Double(Math.Acos(InUnitRange(Float(name, args, 0)))),
        "atan" => Double(Math.Atan(Float(name, args, 0))),
        "atan2" => Double(Math.Atan2(Float(name, args, 0), Float(name, args, 1))),
        "degrees" => Double(Float(name, args, 0) * (180.0 / Math.PI)),
        "radians" => Double(Float(name, args, 0) * (Math.PI / 180.0)),
        "pi" => Math.PI,
        "gcd" or "lcm" => GcdLcm(name, args),
        "div" => Div(name, args),
        "mod" => Mod(name, args),
        "greatest" => Extreme(args, greatest: true),
        "least" => Extreme(args, greatest: false),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "not a scalar function"),
    };

    /// <summary>
    /// The text of a value as PostgreSQL's output functions write it (booleans as <c>t</c>/<c>f</c>, doubles in the
    /// shortest form that reads back exactly, with a lower-case exponent), as concat and concat_ws use it.
    /// </summary>
    public static string OutputText(Value value) => value.Kind switch
    {
        ValueKind.Bool => value.AsBool() ? "t" : "f",
        ValueKind.Double => DoubleText(value.AsDouble()),
        _ => SqlSemantics.ToText(value),
    };

    private static string DoubleText(double d) => d switch
    {
        double.PositiveInfinity => "Infinity",
        double.NegativeInfinity => "-Infinity",
        double.NaN => "NaN",
        _ => d.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal),
    };

    private static CohortException WrongArguments(string name, Value[] args) =>
        SqlError.UndefinedFunction(name, args.Select(SqlSemantics.TypeName));

    private static string Text(string name, Value[] args, int index) =>
        args[index].Kind == ValueKind.String ? args[index].AsString() : throw WrongArguments(name, args);

    private static long Integer(string name, Value[] args, int index) =>
        args[index].Kind == ValueKind.Int64 ? args[index].AsInt64() : throw WrongArguments(name, args);

    private static double Float(string name, Value[] args, int index) => args[index].Kind switch
    {
        ValueKind.Int64 => args[index].AsInt64(),
        ValueKind.Double => args[index].AsDouble(),
        ValueKind.Decimal => SqlSemantics.DecimalToDouble(args[index].AsDecimal()),
        _ => throw WrongArguments(name, args),
    };

    /// <summary>An exact number (integer or numeric) as a decimal; a double is refused, as PostgreSQL has no implicit cast from it to numeric.</summary>
    private static decimal Exact(string name, Value[] args, int index) => args[index].Kind switch
    {
        ValueKind.Int64 => args[index].AsInt64(),
        ValueKind.Decimal => args[index].AsDecimal(),
        _ => throw WrongArguments(name, args),
    };

    private static Value Double(double result) =>
        double.IsFinite(result) ? result : throw SqlError.Type("value out of range: overflow");

    private static Value Numeric(double result)
    {
        if (!double.IsFinite(result) || Math.Abs(result) >= 7.9e28)
        {
            throw SqlError.OutOfRange("numeric");
        }

        // Through the shortest round-trip text: the built-in conversion keeps only 15 significant digits.
        return decimal.Parse(result.ToString("R", CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    private static string Limit(string result) =>
        result.Length <= MaxResultLength ? result : throw SqlError.Type("requested length too large");

    private static Value Substring(string name, Value[] args)
    {
        var text = Text(name, args, 0);
        var start = Integer(name, args, 1);
        long end;
        if (args.Length == 3)
        {
            var count = Integer(name, args, 2);
            if (count < 0)
            {
                throw SqlError.Type("negative substring length not allowed");
            }

            end = start > long.MaxValue - count ? long.MaxValue : start + count;
        }
        else
        {
            end = long.MaxValue;
        }

        // Positions are 1-based; characters before position 1 do not exist, so they shorten the result.
        var from = Math.Max(start, 1) - 1;
        var to = Math.Min(end - 1, text.Length);
        return from >= to ? "" : text.Substring((int)from, (int)(to - from));
    }

    private static Value Trim(string name, Value[] args)
    {
        var text = Text(name, args, 0);
        var characters = args.Length == 2 ? Text(name, args, 1).ToCharArray() : [' '];
        if (characters.Length == 0)
        {
            // string.Trim with no characters trims white space; an empty set in SQL trims nothing.
            return text;
        }

        return name switch
        {
            "ltrim" => text.TrimStart(characters),
            "rtrim" => text.TrimEnd(characters),
            _ => text.Trim(characters),
        };
    }

    private static Value Pad(string name, Value[] args)
    {
        var text = Text(name, args, 0);
        var length = Integer(name, args, 1);
        var fill = args.Length == 3 ? Text(name, args, 2) : " ";
        if (length <= 0)
        {
            return "";
        }

        if (length > MaxResultLength)
        {
            throw SqlError.Type("requested length too large");
        }

        if (text.Length >= length)
        {
            return text[..(int)length];
        }

        if (fill.Length == 0)
        {
            return text;
        }

        var padding = new StringBuilder((int)length);
        while (padding.Length < length - text.Length)
        {
            padding.Append(fill);
        }

        padding.Length = (int)length - text.Length;
        return name == "lpad" ? padding.Append(text).ToString() : text + padding;
    }

    private static Value Repeat(string name, Value[] args)
    {
        var text = Text(name, args, 0);
        var count = Integer(name, args, 1);
        if (count <= 0 || text.Length == 0)
        {
            return "";
        }

        if (count > MaxResultLength / text.Length)
        {
            throw SqlError.Type("requested length too large");
        }

        return new StringBuilder(text.Length * (int)count).Insert(0, text, (int)count).ToString();
    }

    private static string Reverse(string text)
    {
        var chars = text.ToCharArray();
        Array.Reverse(chars);

        // Reversing UTF-16 units swaps the halves of a surrogate pair: put each pair back in order.
        for (var i = 0; i + 1 < chars.Length; i++)
        {
            if (char.IsLowSurrogate(chars[i]) && char.IsHighSurrogate(chars[i + 1]))
            {
                (chars[i], chars[i + 1]) = (chars[i + 1], chars[i]);
                i++;
            }
        }

        return new string(chars);
    }

    private static Value LeftRight(string name, Value[] args)
    {
        var text = Text(name, args, 0);
        var n = Integer(name, args, 1);

        // A negative n counts from the other end: left(s, -2) is all but the last two characters.
        var count = n >= 0 ? Math.Min(n, text.Length) : Math.Max(text.Length + n, 0);
        return name == "left" ? text[..(int)count] : text[(text.Length - (int)count)..];
    }

    private static Value Chr(long code)
    {
        if (code == 0)
        {
            throw SqlError.Type("null character not permitted");
        }

        if (code < 0)
        {
            throw SqlError.Type("character number must be positive");
        }

        if (code > 0x10FFFF)
        {
            throw SqlError.Type($"requested character too large for encoding: {code}");
        }

        if (code is >= 0xD800 and <= 0xDFFF)
        {
            throw SqlError.Type($"requested character not valid for encoding: {code}");
        }

        return char.ConvertFromUtf32((int)code);
    }

    private static string InitCap(string text)
    {
        // As PostgreSQL: a letter after a letter or digit is lower-cased, any other letter upper-cased.
        var result = new StringBuilder(text.Length);
        var inWord = false;
        foreach (var c in text)
        {
            result.Append(inWord ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            inWord = char.IsLetterOrDigit(c);
        }

        return result.ToString();
    }

    private static Value Concat(Value[] args, int first, string separator)
    {
        var result = new StringBuilder();
        var any = false;
        for (var i = first; i < args.Length; i++)
        {
            if (args[i].IsNull)
            {
                continue;
            }

            if (any)
            {
                result.Append(separator);
            }

            result.Append(OutputText(args[i]));
            any = true;
            if (result.Length > MaxResultLength)
            {
                throw SqlError.Type("requested length too large");
            }
        }

        return result.ToString();
    }

    /// <summary>ceil, floor, trunc and sign: an integer argument takes the double precision form, as in PostgreSQL.</summary>
    private static Value Rounding(string name, Value value, Func<double, double> onDouble, Func<decimal, decimal> onDecimal) => value.Kind switch
    {
        ValueKind.Int64 => onDouble(value.AsInt64()),
        ValueKind.Double => onDouble(value.AsDouble()),
        ValueKind.Decimal => onDecimal(value.AsDecimal()),
        _ => throw WrongArguments(name, [value]),
    };

    private static Value TruncPlaces(string name, Value[] args)
    {
        var x = Exact(name, args, 0);
        var places = Integer(name, args, 1);
        if (places >= 0)
        {
            var scale = (int)Math.Min(places, 28);
            var truncated = decimal.Round(x, scale, MidpointRounding.ToZero);
            return truncated.Scale < scale ? truncated + new decimal(0, 0, 0, false, (byte)scale) : truncated;
        }

        if (places < -28)
        {
            return 0m;
        }

        var unit = 1m;
        for (var i = 0; i < -places; i++)
        {
            unit *= 10m;
        }

        return decimal.Truncate(x / unit) * unit;
    }

    private static Value Sqrt(string name, Value value)
    {
        var x = Float(name, [value], 0);
        if (x < 0)
        {
            throw SqlError.Type("cannot take square root of a negative number");
        }

        return value.Kind == ValueKind.Decimal ? Numeric(Math.Sqrt(x)) : Math.Sqrt(x);
    }

    private static double Cbrt(double x)
    {
        // Math.Cbrt can miss an exact cube root by an ulp (cbrt(27) = 3.0000000000000004); glibc's, which PostgreSQL uses, does not.
        var root = Math.Cbrt(x);
        var whole = Math.Round(root);
        return whole * whole * whole == x ? whole : root;
    }

    private static Value Exp(string name, Value value)
    {
        var result = Math.Exp(Float(name, [value], 0));
        if (double.IsInfinity(result))
        {
            throw SqlError.Type("value out of range: overflow");
        }

        return value.Kind == ValueKind.Decimal ? Numeric(result) : result;
    }

    private static Value Logarithm(string name, Value value, Func<double, double> log)
    {
        var x = Float(name, [value], 0);
        if (x == 0)
        {
            throw SqlError.Type("cannot take logarithm of zero");
        }

        if (x < 0)
        {
            throw SqlError.Type("cannot take logarithm of a negative number");
        }

        return value.Kind == ValueKind.Decimal ? Numeric(log(x)) : log(x);
    }

    /// <summary>log(b, x): PostgreSQL has it for numeric only, so the result is numeric.</summary>
    private static Value LogBase(string name, Value[] args)
    {
        var b = Float(name, args, 0);
        var x = Float(name, args, 1);
        if (args[0].Kind == ValueKind.Double || args[1].Kind == ValueKind.Double)
        {
            throw WrongArguments(name, args);
        }

        if (b == 0 || x == 0)
        {
            throw SqlError.Type("cannot take logarithm of zero");
        }

        if (b < 0 || x < 0)
        {
            throw SqlError.Type("cannot take logarithm of a negative number");
        }

        if (b == 1)
        {
            throw SqlError.DivisionByZero();
        }

        return Numeric(Math.Log(x) / Math.Log(b));
    }

    private static Value Power(string name, Value[] args)
    {
        var x = Float(name, args, 0);
        var y = Float(name, args, 1);
        if (x == 0 && y < 0)
        {
            throw SqlError.Type("zero raised to a negative power is undefined");
        }

        if (x < 0 && Math.Floor(y) != y)
        {
            throw SqlError.Type("a negative number raised to a non-integer power yields a complex result");
        }

        var result = Math.Pow(x, y);
        if (double.IsInfinity(result))
        {
            throw SqlError.Type("value out of range: overflow");
        }

        // power(numeric, numeric) when either is numeric and neither is a double; otherwise power(double, double).
        var numeric = (args[0].Kind == ValueKind.Decimal || args[1].Kind == ValueKind.Decimal)
            && args[0].Kind != ValueKind.Double && args[1].Kind != ValueKind.Double;
        return numeric ? Numeric(result) : result;
    }

    private static double InUnitRange(double x) => x is >= -1 and <= 1 ? x : throw SqlError.Type("input is out of range");

    private static Value GcdLcm(string name, Value[] args)
    {
        if (args[0].Kind == ValueKind.Int64 && args[1].Kind == ValueKind.Int64)
        {
            var (a, b) = (args[0].AsInt64(), args[1].AsInt64());
            try
            {
                var gcd = checked(Math.Abs(IntegerGcd(a, b)));
                if (name == "gcd")
                {
                    return gcd;
                }

                return a == 0 || b == 0 ? 0L : checked(Math.Abs(a / gcd * b));
            }
            catch (OverflowException)
            {
                throw SqlError.OutOfRange("bigint");
            }
        }

        var x = Exact(name, args, 0);
        var y = Exact(name, args, 1);
        try
        {
            var g = Math.Abs(DecimalGcd(x, y));
            return name == "gcd" ? g : x == 0 || y == 0 ? 0m : Math.Abs(x / g * y);
        }
        catch (OverflowException)
        {
            throw SqlError.OutOfRange("numeric");
        }
    }

    private static long IntegerGcd(long a, long b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }

    private static decimal DecimalGcd(decimal a, decimal b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }

    /// <summary>div(y, x): the integer quotient, truncated toward zero; PostgreSQL has it for numeric only.</summary>
    private static Value Div(string name, Value[] args)
    {
        var y = Exact(name, args, 0);
        var x = Exact(name, args, 1);
        if (x == 0)
        {
            throw SqlError.DivisionByZero();
        }

        try
        {
            return decimal.Truncate(y / x);
        }
        catch (OverflowException)
        {
            throw SqlError.OutOfRange("numeric");
        }
    }

    private static Value Mod(string name, Value[] args)
    {
        if (args[0].Kind == ValueKind.Int64 && args[1].Kind == ValueKind.Int64)
        {
            var b = args[1].AsInt64();
            return b == 0 ? throw SqlError.DivisionByZero() : b == -1 ? 0L : args[0].AsInt64() % b;
        }

        var x = Exact(name, args, 0);
        var y = Exact(name, args, 1);
        return y == 0 ? throw SqlError.DivisionByZero() : x % y;
    }

    private static Value Extreme(Value[] args, bool greatest)
    {
        var best = Value.Null;
        foreach (var value in args)
        {
            if (value.IsNull)
            {
                continue;
            }

            if (best.IsNull || SqlSemantics.Compare(value, best) is var c && (greatest ? c > 0 : c < 0))
            {
                best = value;
            }
        }

        return best;
    }
}
