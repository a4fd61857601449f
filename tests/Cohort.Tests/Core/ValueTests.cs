using System.Collections.Immutable;

namespace Cohort.Tests.Core;

public sealed class ValueTests
{
    [Fact]
    public void CompareTo_ValuesOfDifferentKinds_OrderByKind()
    {
        Value[] ascending =
        [
            Value.Null, Value.False, Value.True, long.MinValue, 0L, long.MaxValue, double.NegativeInfinity, -1.0, 2.5,
            double.PositiveInfinity, -1m, 0.5m, "", "A", "B", "a", Value.From(Array.Empty<byte>()), Value.From(new byte[] { 0 }),
            Value.From(new byte[] { 0, 0 }), Value.From(new byte[] { 1 }), Value.List(), Value.List(1), Value.List(1, 0),
            Value.List(2), Value.Map(), Value.Map(("a", 1)), Value.Map(("a", 2)), Value.Map(("b", 0)),
        ];

        for (var i = 0; i < ascending.Length; i++)
        {
            for (var j = 0; j < ascending.Length; j++)
            {
                var expected = i.CompareTo(j);
                var actual = Math.Sign(ascending[i].CompareTo(ascending[j]));
                Assert.True(expected == actual, $"{ascending[i]} vs {ascending[j]}: expected {expected}, got {actual}");
            }
        }

        Assert.True(Value.From(1) < Value.From(1.0));
        Assert.True(Value.From("z") > Value.From(99));
        Assert.True(Value.From(3) <= Value.From(3));
        Assert.True(Value.From(3) >= Value.From(2));
    }

    [Fact]
    public void Equals_Maps_IgnoreInsertionOrderAndAgreeOnHashCode()
    {
        var a = Value.Map(("x", 1), ("y", Value.List("p", 2.0)));
        var b = Value.Map(new[] { KeyValuePair.Create("y", Value.List("p", 2.0)), KeyValuePair.Create("x", (Value)1) });
        var c = Value.Map(ImmutableSortedDictionary.CreateRange(StringComparer.OrdinalIgnoreCase, new[] { KeyValuePair.Create("y", Value.List("p", 2.0)), KeyValuePair.Create("x", (Value)1) }));

        Assert.Equal(a, b);
        Assert.Equal(a, c);
        Assert.True(a == b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.Equal(a.GetHashCode(), c.GetHashCode());
        Assert.NotEqual(a, Value.Map(("x", 1)));
    }

    [Fact]
    public void Map_WithRepeatedKey_KeepsLastValue()
    {
        var map = Value.Map(("k", 1), ("k", 2));

        Assert.Single(map.AsMap());
        Assert.Equal(Value.From(2), map.AsMap()["k"]);
    }

    [Fact]
    public void Equals_SameContentDifferentKind_AreNotEqual()
    {
        Assert.NotEqual(Value.From(1), Value.From(1.0));
        Assert.NotEqual(Value.From(1.0), Value.From(1m));
        Assert.NotEqual(Value.From("1"), Value.From(1));
        Assert.NotEqual(Value.From(Array.Empty<byte>()), Value.From(""));
        Assert.NotEqual(Value.List(), Value.Map());
        Assert.NotEqual(Value.Null, Value.False);
    }

    [Fact]
    public void Equals_BytesAndStrings_CompareByContent()
    {
        Assert.Equal(Value.From(new byte[] { 1, 2 }), Value.From(new byte[] { 1, 2 }));
        Assert.Equal(Value.From(new byte[] { 1, 2 }).GetHashCode(), Value.From(new byte[] { 1, 2 }).GetHashCode());
        Assert.NotEqual(Value.From(new byte[] { 1, 2 }), Value.From(new byte[] { 1, 3 }));
        Assert.Equal(Value.From(new string('x', 3)), Value.From("xxx"));
        Assert.NotEqual(Value.From("a"), Value.From("A"));
    }

    [Fact]
    public void From_ByteArray_CopiesSoLaterChangesDoNotLeakIn()
    {
        var bytes = new byte[] { 1, 2, 3 };
        var value = Value.From(bytes);

        bytes[0] = 99;

        Assert.Equal(1, value.AsBytes().Span[0]);
    }

    [Fact]
    public void Accessors_OnWrongKind_ThrowInvalidCast()
    {
        Assert.Throws<InvalidCastException>(() => Value.From("s").AsInt64());
        Assert.Throws<InvalidCastException>(() => Value.From(1).AsString());
        Assert.Throws<InvalidCastException>(() => Value.Null.AsBool());
        Assert.Throws<InvalidCastException>(() => Value.From(1.0).AsDecimal());
    }

    [Fact]
    public void TryGetInt64_AcceptsIntegralDecimalAndDoubleOnly()
    {
        Assert.True(Value.From(5m).TryGetInt64(out var fromDecimal));
        Assert.Equal(5, fromDecimal);
        Assert.True(Value.From(-7.0).TryGetInt64(out var fromDouble));
        Assert.Equal(-7, fromDouble);
        Assert.False(Value.From(5.5m).TryGetInt64(out _));
        Assert.False(Value.From(0.5).TryGetInt64(out _));
        Assert.False(Value.From(9.3e18).TryGetInt64(out _));
        Assert.False(Value.From(double.NaN).TryGetInt64(out _));
        Assert.False(Value.From("5").TryGetInt64(out _));
    }

    [Fact]
    public void String_FromNull_IsNullValue()
    {
        Assert.True(Value.From((string?)null).IsNull);
        Assert.Equal(Value.Null, default);
    }

    // Equal values must have equal hash codes, or dictionaries and hash sets keyed by Value break.
    [Fact]
    public void GetHashCode_OfPositiveAndNegativeZero_AgreesWithEquals()
    {
        AssertHashAgreesWithEquals(Value.From(0.0), Value.From(-0.0));
    }

    [Fact]
    public void GetHashCode_OfNaNsWithDifferentPayloads_AgreesWithEquals()
    {
        var quiet = Value.From(double.NaN);
        var other = Value.From(BitConverter.Int64BitsToDouble(0x7FF0_0000_0000_0001));

        AssertHashAgreesWithEquals(quiet, other);
    }

    [Fact]
    public void Equals_DecimalsWithDifferentScaleInsideListsAndMaps_AreNotEqual()
    {
        // A top-level 1.5 differs from 1.50; the same must hold one level down, or equal-looking
        // containers serialize to different JSON and hash differently.
        Assert.NotEqual(Value.From(1.5m), Value.From(1.50m));
        Assert.NotEqual(Value.List(1.5m), Value.List(1.50m));
        Assert.NotEqual(Value.Map(("d", 1.5m)), Value.Map(("d", 1.50m)));
    }

    [Fact]
    public void ToString_IsJsonExceptForStringsAndIntegers()
    {
        Assert.Equal("abc", Value.From("abc").ToString());
        Assert.Equal("-12", Value.From(-12).ToString());
        Assert.Equal("{\"$decimal\":\"1.50\"}", Value.From(1.50m).ToString());
        Assert.Equal("[1,\"a\",null]", Value.List(1, "a", Value.Null).ToString());
    }

    private static void AssertHashAgreesWithEquals(Value a, Value b)
    {
        if (a.Equals(b))
        {
            Assert.True(
                a.GetHashCode() == b.GetHashCode(),
                $"{ValueJson.Serialize(a)} equals {ValueJson.Serialize(b)} but their hash codes differ ({a.GetHashCode()} vs {b.GetHashCode()}).");
        }
    }
}
