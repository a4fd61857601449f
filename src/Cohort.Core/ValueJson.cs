using System.Buffers;
using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Cohort.Core;

/// <summary>
/// The JSON form of <see cref="Value"/>. Obvious types map to plain JSON (null, true/false, integers,
/// strings, arrays, objects). Where plain JSON would be ambiguous, a one-member object tags the type:
/// <c>{"$decimal":"1.50"}</c>, <c>{"$bytes":"base64"}</c>, <c>{"$double":"NaN"}</c> for non-finite
/// doubles, and <c>{"$map":{…}}</c> for a map that itself has exactly one key starting with <c>$</c>.
/// A finite double is always written with a fraction or exponent (<c>1.0</c>) so it reads back as a
/// double, and an integer literal reads back as <see cref="ValueKind.Int64"/>. Writing then reading
/// gives an equal value, scale of decimals included.
/// </summary>
public static class ValueJson
{
    private const int MaxDepth = 64;

    // decimal.MaxValue, the bound of every exact number a value holds (the integers beyond Int64 included).
    private const string DecimalMax = "79228162514264337593543950335";

    // A thread keeps its reading stacks up to this many slots once a document is read.
    private const int ScratchLimit = 4096;

    [ThreadStatic]
    private static KeyValuePair<string, Value>[]? t_entries;

    [ThreadStatic]
    private static int t_entryCount;

    [ThreadStatic]
    private static Value[]? t_items;

    [ThreadStatic]
    private static int t_itemCount;

    /// <summary>Serializes a value to its JSON text.</summary>
    public static string Serialize(Value value)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, value);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Parses JSON text into a value; throws <see cref="CohortException"/> with code <c>bad_json</c> on bad input.</summary>
    public static Value Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Parse(Encoding.UTF8.GetBytes(json));
    }

    /// <summary>Parses UTF-8 JSON into a value; throws <see cref="CohortException"/> with code <c>bad_json</c> on bad input.</summary>
    public static Value Parse(ReadOnlySpan<byte> utf8Json) => Parse(new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = MaxDepth }));

    /// <summary>Parses UTF-8 JSON held in segments (as a request body arrives); throws <see cref="CohortException"/> with code <c>bad_json</c> on bad input.</summary>
    public static Value Parse(ReadOnlySequence<byte> utf8Json) => utf8Json.IsSingleSegment
        ? Parse(utf8Json.FirstSpan)
        : Parse(new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = MaxDepth }));

    private static Value Parse(Utf8JsonReader reader)
    {
        try
        {
            if (!reader.Read())
            {
                throw new CohortException(ErrorCodes.BadJson, "Empty JSON document.");
            }

            var value = Read(ref reader);
            if (reader.Read())
            {
                throw new CohortException(ErrorCodes.BadJson, $"Unexpected data after the JSON value at byte {reader.TokenStartIndex}.");
            }

            return value;
        }
        catch (JsonException e)
        {
            throw new CohortException(ErrorCodes.BadJson, $"Malformed JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            // What the reader finds only when a token's text is decoded (invalid UTF-8 in a string, a lone surrogate
            // escape) is bad input like any other, never a failure of the node.
            throw new CohortException(ErrorCodes.BadJson, $"Malformed JSON: {e.Message}", e);
        }
    }

    /// <summary>Converts a parsed <see cref="JsonElement"/> into a value.</summary>
    public static Value FromElement(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Null:
            case JsonValueKind.Undefined:
                return Value.Null;
            case JsonValueKind.True:
                return Value.True;
            case JsonValueKind.False:
                return Value.False;
            case JsonValueKind.String:
                return Value.From(Decoded(element));
            case JsonValueKind.Number:
                return ParseNumber(Encoding.UTF8.GetBytes(element.GetRawText()));
            case JsonValueKind.Array:
            {
                var items = ImmutableArray.CreateBuilder<Value>(element.GetArrayLength());
                foreach (var item in element.EnumerateArray())
                {
                    items.Add(FromElement(item));
                }

                return Value.List(items.MoveToImmutable());
            }
            default:
            {
                var builder = new ValueMap.Builder();
                var properties = element.EnumerateObject().ToList();
                if (properties is [{ Value.ValueKind: JsonValueKind.Object } wrapper] && wrapper.NameEquals("$map"))
                {
                    foreach (var property in wrapper.Value.EnumerateObject())
                    {
                        builder[Decoded(property)] = FromElement(property.Value);
                    }

                    return Value.Map(builder.ToMap());
                }

                foreach (var property in properties)
                {
                    builder[Decoded(property)] = FromElement(property.Value);
                }

                return FromObject(builder.ToMap());
            }
        }
    }

    /// <summary>Writes a value as JSON.</summary>
    public static void Write(Utf8JsonWriter writer, Value value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        switch (value.Kind)
        {
            case ValueKind.Null:
                writer.WriteNullValue();
                break;
            case ValueKind.Bool:
                writer.WriteBooleanValue(value.AsBool());
                break;
            case ValueKind.Int64:
                writer.WriteNumberValue(value.AsInt64());
                break;
            case ValueKind.Double:
                WriteDouble(writer, value.AsDouble());
                break;
            case ValueKind.Decimal:
                writer.WriteStartObject();
                writer.WriteString("$decimal", value.AsDecimal().ToString(CultureInfo.InvariantCulture));
                writer.WriteEndObject();
                break;
            case ValueKind.String:
                writer.WriteStringValue(value.AsString());
                break;
            case ValueKind.Bytes:
                writer.WriteStartObject();
                writer.WriteBase64String("$bytes", value.AsBytes().Span);
                writer.WriteEndObject();
                break;
            case ValueKind.List:
                writer.WriteStartArray();
                foreach (var item in value.AsList())
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case ValueKind.Map:
            {
                var map = value.AsMap().Entries;
                var wrap = map.Length == 1 && map[0].Key.StartsWith('$');
                if (wrap)
                {
                    writer.WriteStartObject();
                    writer.WritePropertyName("$map");
                }

                writer.WriteStartObject();
                foreach (var (key, item) in map)
                {
                    writer.WritePropertyName(key);
                    Write(writer, item);
                }

                writer.WriteEndObject();
                if (wrap)
                {
                    writer.WriteEndObject();
                }

                break;
            }
        }
    }

    /// <summary>Reads one value at the reader's current token (which must have been read).</summary>
    public static Value Read(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return Value.Null;
            case JsonTokenType.True:
                return Value.True;
            case JsonTokenType.False:
                return Value.False;
            case JsonTokenType.String:
                return Value.From(Text(ref reader));
            case JsonTokenType.Number:
                return ParseNumber(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan);
            case JsonTokenType.StartArray:
            {
                var start = t_itemCount;
                try
                {
                    while (Next(ref reader) != JsonTokenType.EndArray)
                    {
                        PushItem(Read(ref reader));
                    }

                    return Value.List(ImmutableCollectionsMarshal.AsImmutableArray(TakeItems(start)));
                }
                finally
                {
                    DropItems(start);
                }
            }

            case JsonTokenType.StartObject:
            {
                var start = t_entryCount;
                try
                {
                    while (Next(ref reader) != JsonTokenType.EndObject)
                    {
                        var key = Text(ref reader)!;
                        Next(ref reader);
                        if (t_entryCount == start && key == "$map" && reader.TokenType == JsonTokenType.StartObject)
                        {
                            // The wrapper's content is a user map taken literally: its own "$…" key must not be interpreted.
                            var inner = ReadMembers(ref reader);
                            if (Next(ref reader) == JsonTokenType.EndObject)
                            {
                                return Value.Map(inner.ToMap());
                            }

                            PushEntry(key, FromObject(inner.ToMap()));
                            key = Text(ref reader)!;
                            PushEntry(key, ReadNext(ref reader));
                            continue;
                        }

                        PushEntry(key, Read(ref reader));
                    }

                    return FromObject(TakeEntries(start));
                }
                finally
                {
                    DropEntries(start);
                }
            }

            default:
                throw new CohortException(ErrorCodes.BadJson, $"Unexpected JSON token {reader.TokenType}.");
        }
    }

    private static ValueMap.Builder ReadMembers(ref Utf8JsonReader reader)
    {
        var builder = new ValueMap.Builder();
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            var key = Text(ref reader)!;
            builder[key] = ReadNext(ref reader);
        }

        return builder;
    }

    // The entries of the maps and the items of the lists being read, kept as two stacks shared by the nesting levels
    // of one thread (reading is synchronous): a map's or a list's array is allocated once, at its exact size, when it
    // ends, rather than grown as it is read.
    private static void PushEntry(string key, Value value) => Push(ref t_entries, ref t_entryCount, new(key, value));

    private static ValueMap TakeEntries(int start)
    {
        var count = t_entryCount - start;
        return count == 0 ? ValueMap.Empty : ValueMap.Own(t_entries.AsSpan(start, count).ToArray(), count);
    }

    private static void DropEntries(int start) => Drop(ref t_entries, ref t_entryCount, start);

    private static void PushItem(Value item) => Push(ref t_items, ref t_itemCount, item);

    private static Value[] TakeItems(int start) => t_itemCount == start ? [] : t_items.AsSpan(start, t_itemCount - start).ToArray();

    private static void DropItems(int start) => Drop(ref t_items, ref t_itemCount, start);

    private static void Push<T>(ref T[]? stack, ref int count, T item)
    {
        stack ??= new T[64];
        if (count == stack.Length)
        {
            Array.Resize(ref stack, stack.Length * 2);
        }

        stack[count++] = item;
    }

    // Pops back to start, clearing the slots (they would keep values alive); a stack grown big is let go.
    private static void Drop<T>(ref T[]? stack, ref int count, int start)
    {
        if (stack is { } items)
        {
            items.AsSpan(start, count - start).Clear();
            if (start == 0 && items.Length > ScratchLimit)
            {
                stack = null;
            }
        }

        count = start;
    }

    // A string token. Property names and short words that recur in every protocol message and request are returned
    // as one shared instance rather than a new string each time.
    private static string? Text(ref Utf8JsonReader reader)
    {
        if (!reader.HasValueSequence && !reader.ValueIsEscaped && KnownWords.Find(reader.ValueSpan) is { } known)
        {
            return known;
        }

        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException e)
        {
            throw InvalidText(reader.TokenStartIndex, e);
        }
    }

    private static string? Decoded(JsonElement element)
    {
        try
        {
            return element.GetString();
        }
        catch (InvalidOperationException e)
        {
            throw InvalidText(null, e);
        }
    }

    private static string Decoded(JsonProperty property)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException e)
        {
            throw InvalidText(null, e);
        }
    }

    // Text is Unicode: a string that is not valid UTF-8, or that escapes half of a surrogate pair (\ud800 alone), has no
    // value to store and is refused rather than stored with replacement characters.
    private static CohortException InvalidText(long? at, Exception inner) => new(
        ErrorCodes.BadJson,
        $"A JSON string{(at is { } byteIndex ? $" at byte {byteIndex}" : string.Empty)} is not valid Unicode: invalid UTF-8, or a lone surrogate escape such as \\ud800 without its pair.",
        isTransient: false,
        inner);

    private static Value ReadNext(ref Utf8JsonReader reader)
    {
        Next(ref reader);
        return Read(ref reader);
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new CohortException(ErrorCodes.BadJson, "Truncated JSON document.");
        }

        return reader.TokenType;
    }

    private static Value FromObject(ValueMap map)
    {
        if (map.Count == 1)
        {
            var (key, inner) = map.Entries[0];
            switch (key)
            {
                case "$decimal":
                    if (inner.Kind == ValueKind.String
                        && TryExactDecimal(inner.AsString(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, out var d))
                    {
                        return Value.From(d);
                    }

                    throw new CohortException(ErrorCodes.BadJson, $"\"$decimal\" must be a string holding a decimal number such as \"1.50\", within ±{DecimalMax} and with at most 28 decimal places (it is never rounded).");
                case "$bytes":
                    if (inner.Kind == ValueKind.String)
                    {
                        try
                        {
                            return Value.FromOwnedBytes(Convert.FromBase64String(inner.AsString()));
                        }
                        catch (FormatException)
                        {
                            // Reported below with the same message as a non-string.
                        }
                    }

                    throw new CohortException(ErrorCodes.BadJson, "\"$bytes\" must be a base64 string.");
                case "$double":
                    // Meant for what plain JSON cannot carry; a finite number whose text overflows (1e999) is not Infinity.
                    if (inner.Kind == ValueKind.String
                        && double.TryParse(inner.AsString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var x)
                        && (double.IsFinite(x) || !inner.AsString().AsSpan().ContainsAnyInRange('0', '9')))
                    {
                        return Value.From(x);
                    }

                    throw new CohortException(ErrorCodes.BadJson, "\"$double\" must be a string such as \"NaN\" or \"Infinity\".");
                case "$map":
                    if (inner.Kind == ValueKind.Map)
                    {
                        return inner;
                    }

                    throw new CohortException(ErrorCodes.BadJson, "\"$map\" must be an object.");
            }
        }

        return Value.Map(map);
    }

    // A JSON number keeps its value exactly or is refused, never changed: an integer is an Int64, or a decimal beyond
    // Int64's range; a number with a fraction or exponent is the double it names when that double reads back as the same
    // number (0.1, 1e30), else the decimal it names when that is exact (1.00000000000000000001), else refused (1e400 is
    // no finite double, 1e-400 is not zero, 10^30 is beyond a decimal's 96 bits).
    private static Value ParseNumber(ReadOnlySpan<byte> text)
    {
        var integral = text.IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0;
        if (integral)
        {
            if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
            {
                return Value.From(l);
            }

            // Integers beyond Int64 stay exact rather than silently losing digits in a double; every integer within a
            // decimal's range is exact in it.
            return decimal.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var big)
                ? Value.From(big)
                : throw OutOfRange(text);
        }

        var literal = Encoding.UTF8.GetString(text);
        var exact = Decompose(literal);
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            && double.IsFinite(d)
            && Decompose(d.ToString("R", CultureInfo.InvariantCulture)) == exact)
        {
            return Value.From(d);
        }

        return TryExactDecimal(literal, NumberStyles.Float, out var m) ? Value.From(m) : throw OutOfRange(text);
    }

    /// <summary>
    /// Parses <paramref name="text"/> as a decimal only when the decimal is exactly the number written: no rounding of
    /// digits beyond a decimal's 28 places, no overflow, no underflow to zero.
    /// </summary>
    /// <param name="text">The number, invariant culture.</param>
    /// <param name="styles">The forms accepted (sign, decimal point, exponent).</param>
    /// <param name="value">The decimal, when exact.</param>
    /// <returns>Whether <paramref name="text"/> is a number a decimal holds exactly.</returns>
    public static bool TryExactDecimal(string text, NumberStyles styles, out decimal value) =>
        decimal.TryParse(text, styles, CultureInfo.InvariantCulture, out value)
        && Decompose(value.ToString(CultureInfo.InvariantCulture)) == Decompose(text);

    private static CohortException OutOfRange(ReadOnlySpan<byte> text)
    {
        var shown = text.Length > 64 ? Encoding.UTF8.GetString(text[..64]) + "…" : Encoding.UTF8.GetString(text);
        return new CohortException(
            ErrorCodes.BadJson,
            $"Number {shown} cannot be kept exactly: integers must lie within ±{DecimalMax}, and a number with a fraction or exponent must be a finite double (at most ±{double.MaxValue.ToString("R", CultureInfo.InvariantCulture)}) or a decimal of at most 28 decimal places; send other numbers as strings.",
            isTransient: false);
    }

    // The number a numeric literal names, as (sign, significant digits, power of ten), so that two spellings of the same
    // number compare equal ("1.50", "15e-1", "1.5"); null when it is not a number literal (or its exponent is absurd).
    private static (bool Negative, string Digits, long Exponent)? Decompose(string text)
    {
        var span = text.AsSpan();
        var negative = false;
        if (span.Length > 0 && span[0] is '-' or '+')
        {
            negative = span[0] == '-';
            span = span[1..];
        }

        long exponent = 0;
        var e = span.IndexOfAny('e', 'E');
        if (e >= 0)
        {
            if (!long.TryParse(span[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent) || exponent is > int.MaxValue or < int.MinValue)
            {
                return null;
            }

            span = span[..e];
        }

        var point = span.IndexOf('.');
        var whole = point < 0 ? span : span[..point];
        var fraction = point < 0 ? [] : span[(point + 1)..];
        var digits = string.Concat(whole, fraction).TrimStart('0');
        exponent -= fraction.Length;
        var trimmed = digits.TrimEnd('0');
        exponent += digits.Length - trimmed.Length;
        return trimmed.Length == 0 ? (false, string.Empty, 0) : (negative, trimmed, exponent);
    }

    private static void WriteDouble(Utf8JsonWriter writer, double value)
    {
        if (!double.IsFinite(value))
        {
            writer.WriteStartObject();
            writer.WriteString("$double", value.ToString(CultureInfo.InvariantCulture));
            writer.WriteEndObject();
            return;
        }

        Span<byte> buffer = stackalloc byte[40];
        value.TryFormat(buffer, out var written, "R", CultureInfo.InvariantCulture);
        var text = buffer[..written];
        if (text.IndexOfAny((byte)'.', (byte)'E', (byte)'e') < 0)
        {
            // Keep the double a double on the way back: 1 → 1.0.
            buffer[written++] = (byte)'.';
            buffer[written++] = (byte)'0';
            text = buffer[..written];
        }

        writer.WriteRawValue(text, skipInputValidation: true);
    }
}
