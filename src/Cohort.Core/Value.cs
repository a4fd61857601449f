using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Serialization;

namespace Cohort.Core;

/// <summary>
/// A dynamically typed, immutable value: the unit of data every Cohort engine stores and returns.
/// </summary>
/// <remarks>
/// A 24-byte struct: scalars live inline, strings, byte strings, lists, maps and decimals are
/// referenced. Equality is structural; a map's equality ignores key order. Values order by kind
/// first, then by content (see <see cref="CompareTo(Value)"/>).
/// </remarks>
[JsonConverter(typeof(ValueJsonConverter))]
public readonly struct Value : IEquatable<Value>, IComparable<Value>
{
    private readonly object? _ref;
    private readonly long _bits;
    private readonly ValueKind _kind;

    private Value(ValueKind kind, long bits, object? reference)
    {
        _kind = kind;
        _bits = bits;
        _ref = reference;
    }

    /// <summary>The null value.</summary>
    public static Value Null => default;

    /// <summary>The true value.</summary>
    public static Value True { get; } = new(ValueKind.Bool, 1, null);

    /// <summary>The false value.</summary>
    public static Value False { get; } = new(ValueKind.Bool, 0, null);

    /// <summary>The kind of this value.</summary>
    public ValueKind Kind => _kind;

    /// <summary>Whether this is the null value.</summary>
    public bool IsNull => _kind == ValueKind.Null;

    /// <summary>Creates a boolean value.</summary>
    public static Value From(bool value) => value ? True : False;

    /// <summary>Creates an integer value.</summary>
    public static Value From(long value) => new(ValueKind.Int64, value, null);

    /// <summary>Creates a double value; every NaN is stored as the one canonical NaN (JSON cannot tell payloads apart).</summary>
    public static Value From(double value) =>
        new(ValueKind.Double, BitConverter.DoubleToInt64Bits(double.IsNaN(value) ? double.NaN : value), null);

    /// <summary>Creates an exact decimal value; the scale (trailing zeros) is preserved.</summary>
    public static Value From(decimal value) => new(ValueKind.Decimal, 0, value);

    /// <summary>Creates a string value; a null string gives <see cref="Null"/>.</summary>
    public static Value From(string? value) => value is null ? Null : new(ValueKind.String, 0, value);

    /// <summary>Creates a byte-string value from a copy of <paramref name="value"/>.</summary>
    public static Value From(ReadOnlySpan<byte> value) => new(ValueKind.Bytes, 0, value.ToArray());

    /// <summary>Creates a byte-string value that takes ownership of <paramref name="value"/>; the caller must not change it.</summary>
    public static Value FromOwnedBytes(byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(ValueKind.Bytes, 0, value);
    }

    // A list holds its items' array itself (an ImmutableArray kept as object would be boxed, one more allocation).

    /// <summary>Creates a list value.</summary>
    public static Value List(ImmutableArray<Value> items) => new(ValueKind.List, 0, items.IsDefault ? Array.Empty<Value>() : ImmutableCollectionsMarshal.AsArray(items));

    /// <summary>Creates a list value.</summary>
    public static Value List(params ReadOnlySpan<Value> items) => new(ValueKind.List, 0, items.IsEmpty ? Array.Empty<Value>() : items.ToArray());

    /// <summary>Creates a map value.</summary>
    public static Value Map(ValueMap entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        return new(ValueKind.Map, 0, entries);
    }

    /// <summary>Creates a map value from key/value pairs; a repeated key keeps its last value.</summary>
    public static Value Map(IEnumerable<KeyValuePair<string, Value>> entries) => new(ValueKind.Map, 0, entries as ValueMap ?? ValueMap.CreateRange(entries));

    /// <summary>Creates a map value from key/value pairs; a repeated key keeps its last value.</summary>
    public static Value Map(params ReadOnlySpan<(string Key, Value Value)> entries) => new(ValueKind.Map, 0, ValueMap.Create(entries));

    /// <summary>Converts a boolean.</summary>
    public static implicit operator Value(bool value) => From(value);

    /// <summary>Converts an integer.</summary>
    public static implicit operator Value(long value) => From(value);

    /// <summary>Converts an integer.</summary>
    public static implicit operator Value(int value) => From(value);

    /// <summary>Converts a double.</summary>
    public static implicit operator Value(double value) => From(value);

    /// <summary>Converts a decimal.</summary>
    public static implicit operator Value(decimal value) => From(value);

    /// <summary>Converts a string (null gives <see cref="Null"/>).</summary>
    public static implicit operator Value(string? value) => From(value);

    /// <summary>Converts a byte array (copied).</summary>
    public static implicit operator Value(byte[] value) => From(value.AsSpan());

    /// <summary>The boolean; throws when this is not a <see cref="ValueKind.Bool"/>.</summary>
    public bool AsBool() => _kind == ValueKind.Bool ? _bits != 0 : throw WrongKind(ValueKind.Bool);

    /// <summary>The integer; throws when this is not an <see cref="ValueKind.Int64"/>.</summary>
    public long AsInt64() => _kind == ValueKind.Int64 ? _bits : throw WrongKind(ValueKind.Int64);

    /// <summary>The double; throws when this is not a <see cref="ValueKind.Double"/>.</summary>
    public double AsDouble() => _kind == ValueKind.Double ? BitConverter.Int64BitsToDouble(_bits) : throw WrongKind(ValueKind.Double);

    /// <summary>The decimal; throws when this is not a <see cref="ValueKind.Decimal"/>.</summary>
    public decimal AsDecimal() => _kind == ValueKind.Decimal ? (decimal)_ref! : throw WrongKind(ValueKind.Decimal);

    /// <summary>The string; throws when this is not a <see cref="ValueKind.String"/>.</summary>
    public string AsString() => _kind == ValueKind.String ? (string)_ref! : throw WrongKind(ValueKind.String);

    /// <summary>The bytes; throws when this is not a <see cref="ValueKind.Bytes"/>.</summary>
    public ReadOnlyMemory<byte> AsBytes() => _kind == ValueKind.Bytes ? (byte[])_ref! : throw WrongKind(ValueKind.Bytes);

    /// <summary>The list items; throws when this is not a <see cref="ValueKind.List"/>.</summary>
    public ImmutableArray<Value> AsList() => _kind == ValueKind.List ? ImmutableCollectionsMarshal.AsImmutableArray((Value[])_ref!) : throw WrongKind(ValueKind.List);

    /// <summary>The map entries in ordinal key order; throws when this is not a <see cref="ValueKind.Map"/>.</summary>
    public ValueMap AsMap() => _kind == ValueKind.Map ? (ValueMap)_ref! : throw WrongKind(ValueKind.Map);

    /// <summary>Reads an integer, also accepting an integral decimal or double.</summary>
    public bool TryGetInt64(out long value)
    {
        switch (_kind)
        {
            case ValueKind.Int64:
                value = _bits;
                return true;
            case ValueKind.Decimal when decimal.Truncate((decimal)_ref!) == (decimal)_ref! && (decimal)_ref! >= long.MinValue && (decimal)_ref! <= long.MaxValue:
                value = (long)(decimal)_ref!;
                return true;
            case ValueKind.Double when Math.Truncate(AsDouble()) == AsDouble() && AsDouble() >= long.MinValue && AsDouble() < 9.2233720368547758E18:
                value = (long)AsDouble();
                return true;
            default:
                value = 0;
                return false;
        }
    }

    /// <summary>Looks up a map entry; false when this is not a map or has no such key.</summary>
    public bool TryGetField(string key, out Value value)
    {
        if (_kind == ValueKind.Map && ((ValueMap)_ref!).TryGetValue(key, out value))
        {
            return true;
        }

        value = Null;
        return false;
    }

    /// <summary>The underlying reference of reference kinds (for codecs); null for scalars.</summary>
    internal object? Reference => _ref;

    /// <summary>The inline bits of scalar kinds (for codecs).</summary>
    internal long Bits => _bits;

    private InvalidCastException WrongKind(ValueKind expected) =>
        new($"Expected a {expected} value but found {_kind}.");

    /// <summary>
    /// Structural identity: same kind and same content at every depth. Doubles are equal when their bits
    /// are (so -0.0 differs from 0.0 and NaN equals the same NaN); decimals when value and scale are
    /// (1.5 differs from 1.50), as their JSON forms do.
    /// </summary>
    public bool Equals(Value other) => CompareTo(other) == 0;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Value other && Equals(other);

    /// <summary>Structural equality.</summary>
    public static bool operator ==(Value left, Value right) => left.Equals(right);

    /// <summary>Structural inequality.</summary>
    public static bool operator !=(Value left, Value right) => !left.Equals(right);

    /// <summary>Total order: by kind, then by content.</summary>
    public static bool operator <(Value left, Value right) => left.CompareTo(right) < 0;

    /// <summary>Total order: by kind, then by content.</summary>
    public static bool operator >(Value left, Value right) => left.CompareTo(right) > 0;

    /// <summary>Total order: by kind, then by content.</summary>
    public static bool operator <=(Value left, Value right) => left.CompareTo(right) <= 0;

    /// <summary>Total order: by kind, then by content.</summary>
    public static bool operator >=(Value left, Value right) => left.CompareTo(right) >= 0;

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        switch (_kind)
        {
            case ValueKind.Null:
                return 0;
            case ValueKind.Bool:
            case ValueKind.Int64:
            case ValueKind.Double:
                return HashCode.Combine(_kind, _bits);
            case ValueKind.Decimal:
                // Consistent with CompareTo: equal value and equal scale (decimal's own hash ignores scale and sign of zero).
                return HashCode.Combine(_kind, ((decimal)_ref!).GetHashCode(), ((decimal)_ref!).Scale);

            case ValueKind.String:
                return HashCode.Combine(_kind, string.GetHashCode((string)_ref!, StringComparison.Ordinal));
            case ValueKind.Bytes:
            {
                var hash = new HashCode();
                hash.Add(_kind);
                hash.AddBytes((byte[])_ref!);
                return hash.ToHashCode();
            }
            case ValueKind.List:
            {
                var hash = new HashCode();
                hash.Add(_kind);
                foreach (var item in (Value[])_ref!)
                {
                    hash.Add(item);
                }

                return hash.ToHashCode();
            }
            default:
            {
                var hash = new HashCode();
                hash.Add(_kind);
                foreach (var (key, value) in ((ValueMap)_ref!).Entries)
                {
                    hash.Add(key, StringComparer.Ordinal);
                    hash.Add(value);
                }

                return hash.ToHashCode();
            }
        }
    }

    /// <summary>
    /// Compares by kind first (Null &lt; Bool &lt; Int64 &lt; Double &lt; Decimal &lt; String &lt; Bytes &lt; List &lt; Map),
    /// then by content; strings compare ordinally, doubles by their IEEE 754 total order (-0.0 &lt; 0.0),
    /// equal decimals by scale. Zero exactly when <see cref="Equals(Value)"/> is true.
    /// </summary>
    public int CompareTo(Value other)
    {
        if (_kind != other._kind)
        {
            return ((byte)_kind).CompareTo((byte)other._kind);
        }

        switch (_kind)
        {
            case ValueKind.Null:
                return 0;
            case ValueKind.Bool:
            case ValueKind.Int64:
                return _bits.CompareTo(other._bits);
            case ValueKind.Double:
                return TotalOrderKey(_bits).CompareTo(TotalOrderKey(other._bits));
            case ValueKind.Decimal:
            {
                var a = (decimal)_ref!;
                var b = (decimal)other._ref!;
                var c = a.CompareTo(b);
                return c != 0 ? c : a.Scale.CompareTo(b.Scale);
            }

            case ValueKind.String:
                return string.CompareOrdinal((string)_ref!, (string)other._ref!);
            case ValueKind.Bytes:
                return ((byte[])_ref!).AsSpan().SequenceCompareTo((byte[])other._ref!);
            case ValueKind.List:
            {
                var a = (Value[])_ref!;
                var b = (Value[])other._ref!;
                for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
                {
                    var c = a[i].CompareTo(b[i]);
                    if (c != 0)
                    {
                        return c;
                    }
                }

                return a.Length.CompareTo(b.Length);
            }
            default:
            {
                var a = ((ValueMap)_ref!).Entries;
                var b = ((ValueMap)other._ref!).Entries;
                for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
                {
                    var c = string.CompareOrdinal(a[i].Key, b[i].Key);
                    if (c == 0)
                    {
                        c = a[i].Value.CompareTo(b[i].Value);
                    }

                    if (c != 0)
                    {
                        return c;
                    }
                }

                return a.Length.CompareTo(b.Length);
            }
        }
    }

    // IEEE 754 totalOrder as a signed integer: negative values have their magnitude bits flipped.
    private static long TotalOrderKey(long bits) => bits ^ ((bits >> 63) & long.MaxValue);

    /// <summary>The canonical JSON form (see <see cref="ValueJson"/>).</summary>
    public override string ToString() => _kind switch
    {
        ValueKind.String => (string)_ref!,
        ValueKind.Int64 => _bits.ToString(CultureInfo.InvariantCulture),
        _ => ValueJson.Serialize(this),
    };
}
