using System.Collections.Immutable;

namespace Cohort.Tests.Core;

public sealed class ValueJsonTests
{
    private const int PropertySeed = 20260521;
    private const int PropertyCount = 2000;

    [Theory]
    [InlineData("1.50")]
    [InlineData("1.5")]
    [InlineData("-0.001")]
    [InlineData("0.0000000000000000000000000001")]
    [InlineData("79228162514264337593543950335")]
    [InlineData("-7.9228162514264337593543950335")]
    [InlineData("100")]
    public void SerializeThenParse_Decimal_KeepsValueAndScale(string text)
    {
        var original = Value.From(decimal.Parse(text, System.Globalization.CultureInfo.InvariantCulture));

        var json = ValueJson.Serialize(original);
        var parsed = ValueJson.Parse(json);

        Assert.Equal($"{{\"$decimal\":\"{text}\"}}", json);
        Assert.Equal(ValueKind.Decimal, parsed.Kind);
        Assert.Equal(original.AsDecimal(), parsed.AsDecimal());
        Assert.Equal(original.AsDecimal().Scale, parsed.AsDecimal().Scale);
        Assert.Equal(text, parsed.AsDecimal().ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(original, parsed);
    }

    [Fact]
    public void Equals_DecimalsWithDifferentScale_AreNotEqual()
    {
        Assert.NotEqual(Value.From(1.5m), Value.From(1.50m));

        // CompareTo is zero exactly when Equals holds: equal decimals order by scale.
        Assert.True(Value.From(1.5m).CompareTo(Value.From(1.50m)) < 0);
        Assert.True(Value.From(2m).CompareTo(Value.From(1.50m)) > 0);
    }

    [Theory]
    [InlineData(1.0, "1.0")]
    [InlineData(-3.0, "-3.0")]
    [InlineData(0.0, "0.0")]
    [InlineData(1e16, "10000000000000000.0")]
    [InlineData(1e300, "1E+300")]
    [InlineData(-2.5e-10, "-2.5E-10")]
    [InlineData(0.5, "0.5")]
    [InlineData(123456789012.0, "123456789012.0")]
    public void SerializeThenParse_IntegralOrFractionalDouble_StaysDouble(double number, string expectedJson)
    {
        var json = ValueJson.Serialize(Value.From(number));
        var parsed = ValueJson.Parse(json);

        Assert.Equal(expectedJson, json);
        Assert.Equal(ValueKind.Double, parsed.Kind);
        Assert.Equal(BitConverter.DoubleToInt64Bits(number), BitConverter.DoubleToInt64Bits(parsed.AsDouble()));
    }

    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "Infinity")]
    [InlineData(double.NegativeInfinity, "-Infinity")]
    public void SerializeThenParse_NonFiniteDouble_IsTaggedAndReadBack(double number, string tag)
    {
        var json = ValueJson.Serialize(Value.From(number));
        var parsed = ValueJson.Parse(json);

        Assert.Equal($"{{\"$double\":\"{tag}\"}}", json);
        Assert.Equal(ValueKind.Double, parsed.Kind);
        Assert.Equal(number, parsed.AsDouble());
    }

    [Fact]
    public void SerializeThenParse_NegativeZero_KeepsSign()
    {
        var json = ValueJson.Serialize(Value.From(-0.0));
        var parsed = ValueJson.Parse(json);

        Assert.Equal("-0.0", json);
        Assert.Equal(ValueKind.Double, parsed.Kind);
        Assert.True(double.IsNegative(parsed.AsDouble()), "sign of -0.0 was lost");
        Assert.Equal(0.0, parsed.AsDouble());
    }

    [Theory]
    [InlineData("9223372036854775807", ValueKind.Int64)]
    [InlineData("-9223372036854775808", ValueKind.Int64)]
    [InlineData("9223372036854775808", ValueKind.Decimal)]
    [InlineData("-9223372036854775809", ValueKind.Decimal)]
    [InlineData("79228162514264337593543950335", ValueKind.Decimal)]
    public void Parse_IntegerLiteral_IsInt64OrExactDecimalBeyondInt64(string literal, ValueKind expectedKind)
    {
        var parsed = ValueJson.Parse(literal);

        Assert.Equal(expectedKind, parsed.Kind);
        var exact = decimal.Parse(literal, System.Globalization.CultureInfo.InvariantCulture);
        if (expectedKind == ValueKind.Int64)
        {
            Assert.Equal((long)exact, parsed.AsInt64());
        }
        else
        {
            Assert.Equal(exact, parsed.AsDecimal());
            Assert.Equal(0, parsed.AsDecimal().Scale);

            // And the exact value survives another round trip.
            Assert.Equal(parsed, ValueJson.Parse(ValueJson.Serialize(parsed)));
        }
    }

    [Fact]
    public void Parse_IntegerBeyondDecimalRange_IsRefused_NotRoundedToADouble()
    {
        var error = Assert.Throws<CohortException>(() => ValueJson.Parse("1" + new string('0', 40)));

        Assert.Equal(ErrorCodes.BadJson, error.Code);
        Assert.Contains("1" + new string('0', 40), error.Message);
    }

    [Fact]
    public void SerializeThenParse_Bytes_AreBase64TaggedAndExact()
    {
        byte[] bytes = [0, 1, 2, 0xFF, 0xFE, 0x80, 0x7F];
        var original = Value.From(bytes);

        var json = ValueJson.Serialize(original);
        var parsed = ValueJson.Parse(json);

        Assert.Equal("{\"$bytes\":\"" + Convert.ToBase64String(bytes) + "\"}", json);
        Assert.Equal(ValueKind.Bytes, parsed.Kind);
        Assert.Equal(bytes, parsed.AsBytes().ToArray());
    }

    [Fact]
    public void SerializeThenParse_NestedListsAndMaps_AreEqual()
    {
        var original = Value.Map(
            ("list", Value.List(1, 2.0, "three", Value.Null, Value.True, Value.List(), Value.Map())),
            ("map", Value.Map(("d", 1.50m), ("b", Value.From(new byte[] { 9 })), ("n", Value.List(Value.List(Value.List(-0.0)))))),
            ("", "empty key"),
            ("unicode 中文 😀", "\"quoted\"\n\\"));

        var json = ValueJson.Serialize(original);
        var parsed = ValueJson.Parse(json);

        Assert.Equal(original, parsed);
        Assert.True(StrictValue.AreSame(original, parsed, anyNaN: false), $"round trip changed the value: {json}");
        Assert.Equal(json, ValueJson.Serialize(parsed));
    }

    [Theory]
    [InlineData("$decimal")]
    [InlineData("$bytes")]
    [InlineData("$double")]
    [InlineData("$x")]
    public void SerializeThenParse_UserMapWithSingleDollarKey_IsWrappedAndReadBackEqual(string key)
    {
        foreach (var inner in new[] { Value.From("1.50"), Value.From("not a number"), Value.From(42), Value.Map(("a", 1)) })
        {
            var original = Value.Map((key, inner));

            var json = ValueJson.Serialize(original);
            Assert.StartsWith("{\"$map\":{", json, StringComparison.Ordinal);

            var parsed = ParseOrFail(json);
            Assert.Equal(ValueKind.Map, parsed.Kind);
            Assert.True(StrictValue.AreSame(original, parsed, anyNaN: false), $"{json} read back as {ValueJson.Serialize(parsed)}");
        }
    }

    [Fact]
    public void SerializeThenParse_UserMapWhoseOnlyKeyIsDollarMap_IsReadBackEqual()
    {
        var original = Value.Map(("$map", Value.Map(("a", 1))));

        var json = ValueJson.Serialize(original);
        var parsed = ParseOrFail(json);

        Assert.True(StrictValue.AreSame(original, parsed, anyNaN: false), $"{json} read back as {ValueJson.Serialize(parsed)}");
    }

    [Fact]
    public void SerializeThenParse_UserMapWithDollarKeyAmongOthers_IsNotWrapped()
    {
        var original = Value.Map(("$decimal", "x"), ("other", 1));

        var json = ValueJson.Serialize(original);
        var parsed = ValueJson.Parse(json);

        Assert.Equal("{\"$decimal\":\"x\",\"other\":1}", json);
        Assert.Equal(original, parsed);
    }

    [Fact]
    public void SerializeThenParse_RandomNestedValues_GiveEqualValueAndEqualJson()
    {
        var random = new RandomValues(PropertySeed);
        for (var i = 0; i < PropertyCount; i++)
        {
            var original = random.Next();
            var json = ValueJson.Serialize(original);

            Value parsed;
            try
            {
                parsed = ValueJson.Parse(json);
            }
            catch (CohortException e)
            {
                Assert.Fail($"seed {PropertySeed}, value #{i}: Parse threw {e.Code} ({e.Message}) for {json}");
                return;
            }

            var again = ValueJson.Serialize(parsed);
            Assert.True(original.Equals(parsed), $"seed {PropertySeed}, value #{i}: {json} read back as {again}");
            Assert.True(StrictValue.AreSame(original, parsed, anyNaN: true), $"seed {PropertySeed}, value #{i}: {json} read back as {again} (bitwise)");
            Assert.True(json == again, $"seed {PropertySeed}, value #{i}: JSON changed from {json} to {again}");
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("{")]
    [InlineData("[1,2")]
    [InlineData("[1,]")]
    [InlineData("{\"a\":}")]
    [InlineData("{\"a\" 1}")]
    [InlineData("tru")]
    [InlineData("'single'")]
    [InlineData("1 2")]
    [InlineData("{} {}")]
    [InlineData("NaN")]
    [InlineData("01")]
    [InlineData("{\"$decimal\":1.5}")]
    [InlineData("{\"$decimal\":\"1e5\"}")]
    [InlineData("{\"$bytes\":\"not base64!\"}")]
    [InlineData("{\"$double\":\"fast\"}")]
    [InlineData("{\"$map\":[1]}")]
    public void Parse_MalformedJson_ThrowsBadJson(string json)
    {
        var e = Assert.Throws<CohortException>(() => ValueJson.Parse(json));

        Assert.Equal(ErrorCodes.BadJson, e.Code);
        Assert.False(e.IsTransient);
    }

    [Fact]
    public void Parse_AfterAFailureDeepInsideADocument_TheNextDocumentIsReadWhole()
    {
        // Reading keeps the unfinished maps and lists of a thread on shared stacks: a document that fails halfway
        // must leave nothing behind for the next one.
        string[] broken = ["{\"a\":[1,{\"b\":[2,3,{\"c\":", "[{\"a\":1},{\"b\":[{\"$decimal\":1.5}]}]", "{\"k\":[1,2,3],\"m\":{\"x\":{\"y\":[tru"];
        var expected = Value.Map(("a", Value.List(1, Value.Map(("b", 2)))), ("c", Value.Map()), ("d", Value.List()));
        foreach (var json in broken)
        {
            Assert.Throws<CohortException>(() => ValueJson.Parse(json));
            Assert.Equal(expected, ValueJson.Parse("{\"d\":[],\"c\":{},\"a\":[1,{\"b\":2}]}"));
        }
    }

    [Fact]
    public void Parse_SegmentedInput_ReadsAsTheContiguousText()
    {
        var random = new RandomValues(PropertySeed + 1);
        for (var i = 0; i < 200; i++)
        {
            var original = random.Next();
            var bytes = System.Text.Encoding.UTF8.GetBytes(ValueJson.Serialize(original));

            // Cut into 1..7-byte segments, so that tokens (names, strings, numbers) straddle segment boundaries.
            var parsed = ValueJson.Parse(Segments(bytes, 1 + (i % 7)));

            Assert.True(StrictValue.AreSame(original, parsed, anyNaN: true), $"value #{i}: {ValueJson.Serialize(original)} read back as {ValueJson.Serialize(parsed)}");
        }

        Assert.Equal(Value.Map(("tx_id", "t"), ("status", 1)), ValueJson.Parse(Segments("{\"tx_id\":\"t\",\"status\":1}"u8.ToArray(), 2)));
    }

    private static System.Buffers.ReadOnlySequence<byte> Segments(byte[] bytes, int size)
    {
        Segment? first = null, last = null;
        for (var offset = 0; offset < bytes.Length; offset += size)
        {
            var next = new Segment(bytes.AsMemory(offset, Math.Min(size, bytes.Length - offset)), last?.End ?? 0);
            first ??= next;
            last?.Link(next);
            last = next;
        }

        return first is null ? System.Buffers.ReadOnlySequence<byte>.Empty : new(first, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : System.Buffers.ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public long End => RunningIndex + Memory.Length;

        public void Link(Segment next) => Next = next;
    }

    [Fact]
    public void Parse_NestingBeyondMaxDepth_ThrowsBadJson()
    {
        var json = new string('[', 200) + new string(']', 200);

        var e = Assert.Throws<CohortException>(() => ValueJson.Parse(json));

        Assert.Equal(ErrorCodes.BadJson, e.Code);
    }

    [Fact]
    public void SystemTextJson_WithValueProperty_UsesTheSameMapping()
    {
        var holder = new Holder(Value.Map(("d", 1.50m), ("x", 2.0)));

        var json = System.Text.Json.JsonSerializer.Serialize(holder);
        var back = System.Text.Json.JsonSerializer.Deserialize<Holder>(json);

        Assert.Equal("{\"V\":{\"d\":{\"$decimal\":\"1.50\"},\"x\":2.0}}", json);
        Assert.NotNull(back);
        Assert.True(StrictValue.AreSame(holder.V, back.V, anyNaN: false));
    }

    [Fact]
    public void FromElement_MatchesParse()
    {
        const string Json = "{\"a\":[1,2.0,{\"$decimal\":\"1.50\"},{\"$bytes\":\"AQI=\"},null,true],\"b\":{\"$map\":{\"$x\":1}},\"c\":18446744073709551616}";
        using var document = System.Text.Json.JsonDocument.Parse(Json);

        var fromElement = ValueJson.FromElement(document.RootElement);

        Assert.True(StrictValue.AreSame(ValueJson.Parse(Json), fromElement, anyNaN: false));
        Assert.Equal(ValueKind.Decimal, fromElement.AsMap()["c"].Kind);
    }

    // ---- Issue 17: text that is not Unicode, numbers that cannot be kept -------------------------------

    [Theory]
    [InlineData(new byte[] { (byte)'{', (byte)'"', (byte)'a', (byte)'"', (byte)':', (byte)'"', 0xFF, (byte)'"', (byte)'}' })]
    [InlineData(new byte[] { (byte)'{', (byte)'"', 0xC3, (byte)'"', (byte)':', (byte)'1', (byte)'}' })]
    [InlineData(new byte[] { (byte)'[', (byte)'"', 0xED, 0xA0, 0x80, (byte)'"', (byte)']' })]
    [InlineData(new byte[] { (byte)'{', (byte)'"', (byte)'$', (byte)'m', (byte)'a', (byte)'p', (byte)'"', (byte)':', (byte)'{', (byte)'"', 0xFE, (byte)'"', (byte)':', (byte)'1', (byte)'}', (byte)'}' })]
    public void Parse_InvalidUtf8InAStringOrName_IsBadJson(byte[] json)
    {
        AssertBadJson(() => ValueJson.Parse(json), "not valid Unicode");

        // The same bytes arriving in pieces (as a request body does).
        var first = new Segment(json.AsMemory(0, json.Length / 2), 0);
        var last = new Segment(json.AsMemory(json.Length / 2), first.End);
        first.Link(last);
        AssertBadJson(() => ValueJson.Parse(new System.Buffers.ReadOnlySequence<byte>(first, 0, last, last.Memory.Length)), "not valid Unicode");

        // A document System.Text.Json parsed (it checks structure, not text) converts no better.
        using var document = System.Text.Json.JsonDocument.Parse(json);
        AssertBadJson(() => ValueJson.FromElement(document.RootElement), "not valid Unicode");
    }

    [Theory]
    [InlineData("\"\\ud800\"")]
    [InlineData("\"\\udc00\"")]
    [InlineData("\"x\\ud83dy\"")]
    [InlineData("{\"\\ud800\":1}")]
    [InlineData("{\"k\":[\"\\ude00\\ud83d\"]}")]
    public void Parse_LoneSurrogateEscape_IsBadJson(string json) => AssertBadJson(() => ValueJson.Parse(json), "not valid Unicode");

    [Fact]
    public void Parse_SurrogatePairEscape_IsTheCharacter()
    {
        Assert.Equal("\U0001F600", ValueJson.Parse("\"\\ud83d\\ude00\"").AsString());
    }

    [Theory]
    [InlineData("1e400")]
    [InlineData("-1e400")]
    [InlineData("1e-400")]
    [InlineData("4.9e-324")]
    [InlineData("1000000000000000000000000000000")]
    [InlineData("-79228162514264337593543950336")]
    [InlineData("123456789012345678901234567890.5")]
    [InlineData("3.14159265358979323846264338327950288")]
    [InlineData("1e99999999999999999999")]
    [InlineData("{\"$decimal\":\"0.12345678901234567890123456789012\"}")]
    [InlineData("{\"$decimal\":\"100000000000000000000000000000\"}")]
    [InlineData("{\"$double\":\"1e999\"}")]
    public void Parse_NumberThatCannotBeKeptExactly_IsRefusedNamingIt(string json)
    {
        var error = AssertBadJson(() => ValueJson.Parse(json), null);
        var shown = json.StartsWith('{') ? "must be" : json[..Math.Min(json.Length, 20)];
        Assert.Contains(shown, error.Message);
    }

    [Theory]
    [InlineData("0.1", ValueKind.Double)]
    [InlineData("1e30", ValueKind.Double)]
    [InlineData("-2.5E-10", ValueKind.Double)]
    [InlineData("5e-324", ValueKind.Double)]
    [InlineData("1.7976931348623157e308", ValueKind.Double)]
    [InlineData("0.30000000000000004", ValueKind.Double)]
    [InlineData("0e-999", ValueKind.Double)]
    [InlineData("1.00000000000000000001", ValueKind.Decimal)]
    [InlineData("0.1000000000000000000000000001", ValueKind.Decimal)]
    [InlineData("9223372036854775808", ValueKind.Decimal)]
    [InlineData("79228162514264337593543950335", ValueKind.Decimal)]
    [InlineData("-79228162514264337593543950335", ValueKind.Decimal)]
    [InlineData("9223372036854775807", ValueKind.Int64)]
    public void Parse_AcceptedNumber_ComesBackWithTheSameValue(string json, ValueKind kind)
    {
        var parsed = ValueJson.Parse(json);
        Assert.Equal(kind, parsed.Kind);

        var again = ValueJson.Parse(ValueJson.Serialize(parsed));
        Assert.Equal(parsed, again);
        var exact = decimal.TryParse(json, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var expected);
        switch (kind)
        {
            case ValueKind.Decimal:
                Assert.True(exact);
                Assert.Equal(expected, again.AsDecimal());
                break;
            case ValueKind.Int64:
                Assert.Equal(long.Parse(json, System.Globalization.CultureInfo.InvariantCulture), again.AsInt64());
                break;
            default:
                Assert.Equal(double.Parse(json, System.Globalization.CultureInfo.InvariantCulture), again.AsDouble());
                break;
        }
    }

    private static CohortException AssertBadJson(Func<Value> parse, string? contains)
    {
        var error = Assert.Throws<CohortException>(() => parse());
        Assert.Equal(ErrorCodes.BadJson, error.Code);
        if (contains is not null)
        {
            Assert.Contains(contains, error.Message);
        }

        return error;
    }

    private static Value ParseOrFail(string json)
    {
        try
        {
            return ValueJson.Parse(json);
        }
        catch (CohortException e)
        {
            Assert.Fail($"Parse of {json} threw {e.Code}: {e.Message}");
            throw;
        }
    }

    public sealed record Holder(Value V);
}
