using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Cohort.Core;
using Cohort.Sql.Ast;

namespace Cohort.Sql.Execution;

/// <summary>
/// Scalar semantics of Cohort SQL over <see cref="Value"/>, following PostgreSQL: NULL propagates,
/// comparisons with NULL are unknown (<see cref="Value.Null"/>), AND/OR use three-valued logic,
/// integer arithmetic is checked, numbers compare across integer, decimal and double. Values map to
/// types as: INTEGER/BIGINT/SMALLINT → Int64, DOUBLE/REAL → Double, DECIMAL → Decimal, TEXT/VARCHAR → String,
/// BOOLEAN → Bool, TIMESTAMP → String in the canonical form <c>yyyy-MM-dd HH:mm:ss[.ffffff]</c>, BYTEA → Bytes.
/// </summary>
internal static partial class SqlSemantics
{
    private static readonly string[] TimestampFormats =
    [
        "yyyy-M-d H:mm:ss.FFFFFFF", "yyyy-M-d'T'H:mm:ss.FFFFFFF", "yyyy-M-d H:mm", "yyyy-M-d'T'H:mm", "yyyy-M-d",
    ];

    /// <summary>Whether the value is SQL TRUE (NULL and FALSE are not).</summary>
    public static bool IsTrue(Value value) => value.Kind == ValueKind.Bool && value.AsBool();

    /// <summary>Compares two non-null values of comparable types; null when either is NULL.</summary>
    public static int? Compare(Value left, Value right)
    {
        if (left.IsNull || right.IsNull)
        {
            return null;
        }

        if (IsNumeric(left) && IsNumeric(right))
        {
            return CompareNumbers(left, right);
        }

        if (left.Kind != right.Kind)
        {
            throw SqlError.Type($"cannot compare {TypeName(left)} with {TypeName(right)}");
        }

        return left.Kind switch
        {
            ValueKind.String => Math.Sign(string.CompareOrdinal(left.AsString(), right.AsString())),
            ValueKind.List => SqlInterval.Compare(SqlInterval.FromValue(left), SqlInterval.FromValue(right)),
            ValueKind.Bool => left.AsBool().CompareTo(right.AsBool()),
            ValueKind.Bytes => Math.Sign(left.AsBytes().Span.SequenceCompareTo(right.AsBytes().Span)),
            _ => throw SqlError.Type($"cannot compare values of type {TypeName(left)}"),
        };
    }

    /// <summary>Total order for ORDER BY and index keys: NULLs last (as PostgreSQL sorts ascending), then <see cref="Compare"/>.</summary>
    public static int SortCompare(Value left, Value right)
    {
        if (left.IsNull || right.IsNull)
        {
            return left.IsNull.CompareTo(right.IsNull);
        }

        if ((IsNumeric(left) && IsNumeric(right)) || left.Kind == right.Kind)
        {
            return Compare(left, right)!.Value;
        }

        return ((byte)left.Kind).CompareTo((byte)right.Kind);
    }

    /// <summary>Evaluates a comparison operator with three-valued logic.</summary>
    public static Value Comparison(BinaryOperator op, Value left, Value right)
    {
        if (Compare(left, right) is not { } c)
        {
            return Value.Null;
        }

        return op switch
        {
            BinaryOperator.Equal => c == 0,
            BinaryOperator.NotEqual => c != 0,
            BinaryOperator.Less => c < 0,
            BinaryOperator.LessOrEqual => c <= 0,
            BinaryOperator.Greater => c > 0,
            BinaryOperator.GreaterOrEqual => c >= 0,
            _ => throw new ArgumentOutOfRangeException(nameof(op), op, "not a comparison"),
        };
    }

    /// <summary>Three-valued AND.</summary>
    public static Value And(Value left, Value right)
    {
        var l = AsLogic(left, "AND");
        var r = AsLogic(right, "AND");
        if (l == false || r == false)
        {
            return Value.False;
        }

        return l is null || r is null ? Value.Null : Value.True;
    }

    /// <summary>Three-valued OR.</summary>
    public static Value Or(Value left, Value right)
    {
        var l = AsLogic(left, "OR");
        var r = AsLogic(right, "OR");
        if (l == true || r == true)
        {
            return Value.True;
        }

        return l is null || r is null ? Value.Null : Value.False;
    }

    /// <summary>Three-valued NOT.</summary>
    public static Value Not(Value operand) => AsLogic(operand, "NOT") is { } b ? Value.From(!b) : Value.Null;

    /// <summary>Arithmetic and concatenation; NULL in, NULL out.</summary>
    public static Value Arithmetic(BinaryOperator op, Value left, Value right)
    {
        if (left.IsNull || right.IsNull)
        {
            return Value.Null;
        }

        if (op == BinaryOperator.Concat)
        {
            return Value.From(ToText(left) + ToText(right));
        }

        if (!IsNumeric(left) || !IsNumeric(right))
        {
            throw SqlError.Type($"operator {SqlPrinter.Operator(op)} does not exist for {TypeName(left)} and {TypeName(right)}");
        }

        if (left.Kind == ValueKind.Int64 && right.Kind == ValueKind.Int64)
        {
            var a = left.AsInt64();
            var b = right.AsInt64();
            try
            {
                return op switch
                {
                    BinaryOperator.Add => checked(a + b),
                    BinaryOperator.Subtract => checked(a - b),
                    BinaryOperator.Multiply => checked(a * b),
                    BinaryOperator.Divide => b == 0 ? throw SqlError.DivisionByZero() : checked(a / b),
                    BinaryOperator.Modulo => b == 0 ? throw SqlError.DivisionByZero() : a % b,
                    _ => throw new ArgumentOutOfRangeException(nameof(op), op, "not arithmetic"),
                };
            }
            catch (OverflowException)
            {
                throw SqlError.OutOfRange("bigint");
            }
        }

        if (left.Kind == ValueKind.Double || right.Kind == ValueKind.Double)
        {
            var a = ToDouble(left);
            var b = ToDouble(right);
            if (op is BinaryOperator.Divide or BinaryOperator.Modulo && b == 0)
            {
                throw SqlError.DivisionByZero();
            }

            return op switch
            {
                BinaryOperator.Add => a + b,
                BinaryOperator.Subtract => a - b,
                BinaryOperator.Multiply => a * b,
                BinaryOperator.Divide => a / b,
                BinaryOperator.Modulo => a % b, // truncated remainder, the sign of the dividend, as fmod
                _ => throw new ArgumentOutOfRangeException(nameof(op), op, "not arithmetic"),
            };
        }

        var x = ToDecimal(left);
        var y = ToDecimal(right);
        try
        {
            return op switch
            {
                BinaryOperator.Add => x + y,
                BinaryOperator.Subtract => x - y,
                BinaryOperator.Multiply => x * y,
                BinaryOperator.Divide => y == 0 ? throw SqlError.DivisionByZero() : x / y,
                BinaryOperator.Modulo => y == 0 ? throw SqlError.DivisionByZero() : x % y,
                _ => throw new ArgumentOutOfRangeException(nameof(op), op, "not arithmetic"),
            };
        }
        catch (OverflowException)
        {
            throw SqlError.OutOfRange("numeric");
        }
    }

    /// <summary>Unary minus; NULL stays NULL.</summary>
    public static Value Negate(Value operand) => operand.Kind switch
    {
        ValueKind.Null => Value.Null,
        ValueKind.Int64 when operand.AsInt64() == long.MinValue => throw SqlError.OutOfRange("bigint"),
        ValueKind.Int64 => -operand.AsInt64(),
        ValueKind.Double => -operand.AsDouble(),
        ValueKind.Decimal => -operand.AsDecimal(),
        ValueKind.List when SqlInterval.IsInterval(operand) => SqlInterval.FromValue(operand).Negate().ToValue(),
        _ => throw SqlError.Type($"operator - does not exist for {TypeName(operand)}"),
    };

    /// <summary>
    /// SQL LIKE (case-sensitive): <c>%</c> matches any run, <c>_</c> one character, and <paramref name="escape"/>
    /// makes the next character literal. NULL in, NULL out.
    /// </summary>
    public static Value Like(Value text, Value pattern, char? escape = '\\')
    {
        if (text.IsNull || pattern.IsNull)
        {
            return Value.Null;
        }

        return LikeMatch(ToText(text), ToText(pattern), escape);
    }

    /// <summary>Converts a value to a SQL type (CAST and assignment to a column).</summary>
    public static Value Cast(Value value, SqlType type)
    {
        if (value.IsNull)
        {
            return Value.Null;
        }

        switch (type.Kind)
        {
            case SqlTypeKind.SmallInt:
            case SqlTypeKind.Integer:
            case SqlTypeKind.BigInt:
                return CheckIntegerRange(ToInteger(value), type);
            case SqlTypeKind.Real:
            case SqlTypeKind.Double:
                return value.Kind switch
                {
                    ValueKind.String when double.TryParse(value.AsString().Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
                    ValueKind.String => throw SqlError.Type($"invalid input syntax for type double precision: \"{value.AsString()}\""),
                    _ when IsNumeric(value) => ToDouble(value),
                    _ => throw CannotCast(value, type),
                };
            case SqlTypeKind.Decimal:
                if (type.Precision is > 28 or < 1 || type.Scale is > 28 or < 0)
                {
                    throw SqlError.Type($"NUMERIC precision and scale must be at most 28 here (got {type})");
                }

                return ToDecimalOfType(value, type);
            case SqlTypeKind.Text:
            case SqlTypeKind.Varchar:
            {
                var text = ToText(value);
                if (type.Length is { } max && text.Length > max)
                {
                    throw SqlError.Type($"value too long for type character varying({max})");
                }

                return text;
            }

            case SqlTypeKind.Boolean:
                return value.Kind switch
                {
                    ValueKind.Bool => value,
                    ValueKind.Int64 => value.AsInt64() != 0,
                    ValueKind.String => value.AsString().Trim().ToLowerInvariant() switch
                    {
                        "t" or "true" or "yes" or "y" or "on" or "1" => Value.True,
                        "f" or "false" or "no" or "n" or "off" or "0" => Value.False,
                        _ => throw SqlError.Type($"invalid input syntax for type boolean: \"{value.AsString()}\""),
                    },
                    _ => throw CannotCast(value, type),
                };
            case SqlTypeKind.Timestamp:
                return value.Kind == ValueKind.String ? CanonicalTimestamp(value.AsString()) : throw CannotCast(value, type);
            case SqlTypeKind.Bytea:
                return value.Kind switch
                {
                    ValueKind.Bytes => value,
                    ValueKind.String => Value.FromOwnedBytes(Encoding.UTF8.GetBytes(value.AsString())),
                    _ => throw CannotCast(value, type),
                };
            case SqlTypeKind.Date:
                return value.Kind == ValueKind.String ? SqlTemporal.FromDate(SqlTemporal.ParseDate(value.AsString())) : throw CannotCast(value, type);
            case SqlTypeKind.Time:
                return value.Kind == ValueKind.String ? SqlTemporal.FromTime(SqlTemporal.ParseTime(value.AsString())) : throw CannotCast(value, type);
            case SqlTypeKind.Interval:
                return value.Kind switch
                {
                    ValueKind.String => SqlInterval.Parse(value.AsString()).ToValue(),
                    ValueKind.List when SqlInterval.IsInterval(value) => value,
                    _ => throw CannotCast(value, type),
                };
            case SqlTypeKind.Uuid:
                return value.Kind == ValueKind.String ? SqlTemporal.ParseUuid(value.AsString()) : throw CannotCast(value, type);
            default:
                throw CannotCast(value, type);
        }
    }

    /// <summary>
    /// Converts a value for storage in a column of <paramref name="type"/> (INSERT/UPDATE): like a CAST, but
    /// text is not silently turned into numbers or booleans, so type mistakes are reported.
    /// </summary>
    public static Value Assign(Value value, SqlType type, string column)
    {
        if (value.IsNull)
        {
            return value;
        }

        var compatible = type.Kind switch
        {
            SqlTypeKind.SmallInt or SqlTypeKind.Integer or SqlTypeKind.BigInt or SqlTypeKind.Real or SqlTypeKind.Double or SqlTypeKind.Decimal => IsNumeric(value),
            SqlTypeKind.Text or SqlTypeKind.Varchar or SqlTypeKind.Timestamp or SqlTypeKind.Date or SqlTypeKind.Time or SqlTypeKind.Uuid => value.Kind == ValueKind.String,
            SqlTypeKind.Interval => value.Kind == ValueKind.String || SqlInterval.IsInterval(value),
            SqlTypeKind.Boolean => value.Kind == ValueKind.Bool,
            SqlTypeKind.Bytea => value.Kind is ValueKind.Bytes or ValueKind.String,
            _ => false,
        };
        if (!compatible)
        {
            throw SqlError.Type($"column \"{column}\" is of type {type} but the value {ValueJson.Serialize(value)} is of type {TypeName(value)}");
        }

        return Cast(value, type);
    }

    /// <summary>The SQL type name of a value, for messages.</summary>
    public static string TypeName(Value value) => value.Kind switch
    {
        ValueKind.Null => "unknown",
        ValueKind.Bool => "boolean",
        ValueKind.Int64 => "bigint",
        ValueKind.Double => "double precision",
        ValueKind.Decimal => "numeric",
        ValueKind.String => "text",
        ValueKind.Bytes => "bytea",
        ValueKind.List when SqlInterval.IsInterval(value) => "interval",
        _ => value.Kind.ToString().ToLowerInvariant(),
    };

    /// <summary>Whether the value is a number (integer, decimal or double).</summary>
    public static bool IsNumeric(Value value) => value.Kind is ValueKind.Int64 or ValueKind.Decimal or ValueKind.Double;

    /// <summary>The text form of a value (for concatenation and casts to text).</summary>
    public static string ToText(Value value) => value.Kind switch
    {
        ValueKind.String => value.AsString(),
        ValueKind.Bool => value.AsBool() ? "true" : "false",
        ValueKind.Int64 => value.AsInt64().ToString(CultureInfo.InvariantCulture),
        ValueKind.Decimal => value.AsDecimal().ToString(CultureInfo.InvariantCulture),
        ValueKind.Double => value.AsDouble().ToString("R", CultureInfo.InvariantCulture),
        ValueKind.Bytes => "\\x" + Convert.ToHexStringLower(value.AsBytes().Span),
        ValueKind.List when SqlInterval.IsInterval(value) => SqlInterval.FromValue(value).ToString(),
        _ => ValueJson.Serialize(value),
    };

    private static int CompareNumbers(Value left, Value right)
    {
        if (left.Kind == ValueKind.Int64 && right.Kind == ValueKind.Int64)
        {
            return left.AsInt64().CompareTo(right.AsInt64());
        }

        if (left.Kind == ValueKind.Double || right.Kind == ValueKind.Double)
        {
            return ToDouble(left).CompareTo(ToDouble(right));
        }

        return ToDecimal(left).CompareTo(ToDecimal(right));
    }

    private static bool? AsLogic(Value value, string op) => value.Kind switch
    {
        ValueKind.Null => null,
        ValueKind.Bool => value.AsBool(),
        _ => throw SqlError.Type($"argument of {op} must be type boolean, not type {TypeName(value)}"),
    };

    private static double ToDouble(Value value) => value.Kind switch
    {
        ValueKind.Int64 => value.AsInt64(),
        ValueKind.Decimal => DecimalToDouble(value.AsDecimal()),
        _ => value.AsDouble(),
    };

    /// <summary>
    /// The nearest double to a decimal, independent of the decimal's scale. The built-in conversion is
    /// not correctly rounded and can give different doubles for 1.509 and 1.509000, which would make
    /// equal keys hash differently; parsing the decimal's text is correctly rounded.
    /// </summary>
    public static double DecimalToDouble(decimal value) =>
        double.Parse(value.ToString(CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture);

    private static decimal ToDecimal(Value value) => value.Kind switch
    {
        ValueKind.Int64 => value.AsInt64(),
        ValueKind.Double => double.IsFinite(value.AsDouble()) && Math.Abs(value.AsDouble()) < 7.9e28 ? (decimal)value.AsDouble() : throw SqlError.OutOfRange("numeric"),
        _ => value.AsDecimal(),
    };

    private static long ToInteger(Value value)
    {
        switch (value.Kind)
        {
            case ValueKind.Int64:
                return value.AsInt64();
            case ValueKind.Bool:
                return value.AsBool() ? 1 : 0;
            case ValueKind.Decimal:
            {
                var rounded = decimal.Round(value.AsDecimal(), MidpointRounding.AwayFromZero);
                return rounded is >= long.MinValue and <= long.MaxValue ? (long)rounded : throw SqlError.OutOfRange("bigint");
            }

            case ValueKind.Double:
            {
                var rounded = Math.Round(value.AsDouble(), MidpointRounding.ToEven);
                return double.IsFinite(rounded) && rounded >= long.MinValue && rounded < 9.2233720368547758E18 ? (long)rounded : throw SqlError.OutOfRange("bigint");
            }

            case ValueKind.String when long.TryParse(value.AsString().Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed):
                return parsed;
            case ValueKind.String:
                throw SqlError.Type($"invalid input syntax for type bigint: \"{value.AsString()}\"");
            default:
                throw SqlError.Type($"cannot cast type {TypeName(value)} to bigint");
        }
    }

    private static Value CheckIntegerRange(long value, SqlType type) => type.Kind switch
    {
        SqlTypeKind.SmallInt when value is < short.MinValue or > short.MaxValue => throw SqlError.OutOfRange("smallint"),
        SqlTypeKind.Integer when value is < int.MinValue or > int.MaxValue => throw SqlError.OutOfRange("integer"),
        _ => value,
    };

    private static Value ToDecimalOfType(Value value, SqlType type)
    {
        decimal number = value.Kind switch
        {
            ValueKind.String when decimal.TryParse(value.AsString().Trim(), NumberStyles.Number, CultureInfo.InvariantCulture, out var parsed) => parsed,
            ValueKind.String => throw SqlError.Type($"invalid input syntax for type numeric: \"{value.AsString()}\""),
            _ when IsNumeric(value) => ToDecimal(value),
            _ => throw SqlError.Type($"cannot cast type {TypeName(value)} to numeric"),
        };
        if (type.Scale is { } scale)
        {
            number = decimal.Round(number, scale, MidpointRounding.AwayFromZero);
            number = SetScale(number, scale);
            if (type.Precision is { } precision && IntegerDigits(number) > precision - scale)
            {
                throw SqlError.Type($"numeric field overflow: a field with precision {precision}, scale {scale} must round to an absolute value less than 10^{precision - scale}");
            }
        }

        return number;
    }

    private static decimal SetScale(decimal number, int scale)
    {
        // Adding 0.00…0 with the wanted number of places pads the scale (1.5 → 1.50) without changing the value.
        var zero = new decimal(0, 0, 0, false, (byte)Math.Min(scale, 28));
        return number + zero;
    }

    private static int IntegerDigits(decimal number)
    {
        var whole = decimal.Truncate(Math.Abs(number));
        return whole == 0 ? 0 : whole.ToString(CultureInfo.InvariantCulture).Length;
    }

    private static string CanonicalTimestamp(string text)
    {
        // TIMESTAMP is "without time zone": as in PostgreSQL, a trailing zone offset is accepted and ignored.
        var trimmed = text.Trim();
        if (trimmed.Length > 10 && trimmed.AsSpan(10).Contains(':'))
        {
            trimmed = TimeZoneSuffix().Replace(trimmed, "");
        }

        if (!DateTime.TryParseExact(trimmed, TimestampFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
        {
            throw SqlError.Type($"invalid input syntax for type timestamp: \"{text}\"");
        }

        // Microsecond precision, rounded as PostgreSQL does.
        time = new DateTime((time.Ticks + 5) / 10 * 10, DateTimeKind.Unspecified);
        var fraction = time.Ticks % TimeSpan.TicksPerSecond;
        return fraction == 0
            ? time.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
            : time.ToString("yyyy-MM-dd HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture);
    }

    private static CohortException CannotCast(Value value, SqlType type) => SqlError.Type($"cannot cast type {TypeName(value)} to {type}");

    private static bool LikeMatch(string text, string pattern, char? escape)
    {
        // Iterative matcher with backtracking to the last '%': linear in practice, no regex, no recursion.
        int t = 0, p = 0, starP = -1, starT = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length)
            {
                var c = pattern[p];
                if (escape is { } e && c == e && p + 1 < pattern.Length)
                {
                    if (pattern[p + 1] == text[t])
                    {
                        p += 2;
                        t++;
                        continue;
                    }
                }
                else if (c == '%')
                {
                    starP = p++;
                    starT = t;
                    continue;
                }
                else if (c == '_' || c == text[t])
                {
                    p++;
                    t++;
                    continue;
                }
            }

            if (starP < 0)
            {
                return false;
            }

            p = starP + 1;
            t = ++starT;
        }

        while (p < pattern.Length && pattern[p] == '%')
        {
            p++;
        }

        return p == pattern.Length;
    }

    [GeneratedRegex(@"(Z|[+-]\d{1,2}(:?\d{2})?)$")]
    private static partial Regex TimeZoneSuffix();
}
