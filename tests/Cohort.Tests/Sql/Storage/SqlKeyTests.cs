using System.Buffers;
using System.Collections.Immutable;
using Cohort.Sql.Execution;
using Cohort.Sql.Storage;
using Cohort.Storage.Encoding;

namespace Cohort.Tests.Sql.Storage;

public sealed class SqlKeyTests
{
    private static readonly SqlKeyComparer Comparer = SqlKeyComparer.Instance;

    [Fact]
    public void Compare_OrdersBySpaceTableIndexThenValues()
    {
        SqlKey[] expected =
        [
            SqlKey.Catalog("a"),
            SqlKey.Catalog("b"),
            SqlKey.Row("a", [1]),
            SqlKey.Row("a", [2]),
            SqlKey.Row("a", [Value.Null]),
            SqlKey.Row("b", [0]),
            SqlKey.IndexEntry("a", "i", [5]),
            SqlKey.IndexEntry("a", "i", [5, 1]),
            SqlKey.IndexEntry("a", "j", [0]),
        ];
        var shuffled = expected.Reverse().ToList();
        shuffled.Sort(Comparer);
        Assert.Equal(expected.Select(k => k.ToString()), shuffled.Select(k => k.ToString()));
    }

    [Fact]
    public void Compare_MixedNumbers_AreEqualKeysWithEqualHashes()
    {
        var a = SqlKey.IndexEntry("t", "u", [1L]);
        var b = SqlKey.IndexEntry("t", "u", [1.0]);
        var c = SqlKey.IndexEntry("t", "u", [1.00m]);
        Assert.Equal(0, Comparer.Compare(a, b));
        Assert.Equal(0, Comparer.Compare(b, c));
        Assert.Equal(a, c);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.Equal(a.GetHashCode(), c.GetHashCode());
        Assert.Equal(SqlKey.Row("t", [0.0]).GetHashCode(), SqlKey.Row("t", [-0.0]).GetHashCode());
        Assert.True(Comparer.Compare(SqlKey.Row("t", [1]), SqlKey.Row("t", [1.5m])) < 0);
    }

    [Fact]
    public void EqualDecimalsWithDifferentScales_HashEqually()
    {
        // The built-in decimal-to-double conversion gives different doubles for these (review finding):
        // the keys compared equal but hashed differently, so a prepared-key lookup could miss a conflict.
        decimal[] values = [92403610184.509m, 92403610184.509000m, 9572660933830.9m, 9572660933830.9000m, 9007199254740993.000m];
        var random = new Random(20261122);
        var pairs = values.Select(v => (v, v)).ToList();
        for (var i = 0; i < 5000; i++)
        {
            var units = random.NextInt64(1, long.MaxValue / 1000);
            var scale = (byte)random.Next(0, 9);
            var a = new decimal((int)(units & 0xFFFFFFFF), (int)(units >> 32), 0, false, scale);
            var padding = (byte)random.Next(1, 8);
            var b = decimal.Parse(a.ToString(System.Globalization.CultureInfo.InvariantCulture) + (scale == 0 ? "." : "") + new string('0', padding), System.Globalization.CultureInfo.InvariantCulture);
            pairs.Add((a, b));
        }

        pairs.Add((9007199254740993m, 9007199254740993m));
        foreach (var (a, b) in pairs)
        {
            var x = SqlKey.Row("t", [a]);
            var y = SqlKey.Row("t", [b]);
            Assert.Equal(0, Comparer.Compare(x, y));
            Assert.True(Comparer.GetHashCode(x) == Comparer.GetHashCode(y), $"{a} and {b} compare equal but hash differently");
        }

        var integer = SqlKey.Row("t", [9007199254740993L]);
        var sameAsDecimal = SqlKey.Row("t", [9007199254740993.000m]);
        Assert.Equal(0, Comparer.Compare(integer, sameAsDecimal));
        Assert.Equal(Comparer.GetHashCode(integer), Comparer.GetHashCode(sameAsDecimal));
    }

    [Fact]
    public void UniqueIndex_OneAndOnePointZero_WantTheSameKey()
    {
        var schema = TableSchemaTests.Create("CREATE TABLE t (id INT PRIMARY KEY, x DOUBLE PRECISION UNIQUE)");
        var index = schema.Indexes[0];
        var first = RowCodec.IndexEntry(schema, index, [1, 1L], SqlKey.Row("t", [1]));
        var second = RowCodec.IndexEntry(schema, index, [2, 1.0], SqlKey.Row("t", [2]));
        Assert.Equal(first.Key, second.Key);

        var store = new Dictionary<SqlKey, Value>(Comparer) { [first.Key] = first.Value };
        Assert.False(store.TryAdd(second.Key, second.Value));

        // NULLs never conflict: they use the non-unique layout.
        var n1 = RowCodec.IndexEntry(schema, index, [3, Value.Null], SqlKey.Row("t", [3]));
        var n2 = RowCodec.IndexEntry(schema, index, [4, Value.Null], SqlKey.Row("t", [4]));
        Assert.NotEqual(n1.Key, n2.Key);
        Assert.Equal(SqlKey.Row("t", [4]), RowCodec.RowKeyOfIndexEntry("t", n2.Value));
    }

    [Fact]
    public void Compare_NullsSortLast()
    {
        var keys = new List<SqlKey> { SqlKey.Row("t", [Value.Null, 1]), SqlKey.Row("t", [5, Value.Null]), SqlKey.Row("t", [5, 2]), SqlKey.Row("t", [-3, 9]) };
        keys.Sort(Comparer);
        Assert.Equal(["Rows:t[-3, 9]", "Rows:t[5, 2]", "Rows:t[5, null]", "Rows:t[null, 1]"], keys.Select(k => k.ToString()));
    }

    [Fact]
    public void RandomCompositeKeys_SortConsistentlyWithColumnWiseSortCompare()
    {
        var random = new Random(1234);
        for (var round = 0; round < 50; round++)
        {
            var keys = Enumerable.Range(0, 60).Select(_ => SqlKey.Row("t", RandomValues(random, random.Next(0, 4)))).ToList();
            keys.Sort(Comparer);
            for (var i = 0; i < keys.Count; i++)
            {
                for (var j = 0; j < keys.Count; j++)
                {
                    var expected = Math.Sign(Reference(keys[i].Values, keys[j].Values));
                    Assert.Equal(expected, Math.Sign(Comparer.Compare(keys[i], keys[j])));
                    if (i < j)
                    {
                        Assert.True(expected <= 0, $"{keys[i]} sorted before {keys[j]}");
                    }

                    if (expected == 0)
                    {
                        Assert.Equal(keys[i].GetHashCode(), keys[j].GetHashCode());
                    }
                }
            }
        }
    }

    [Fact]
    public void PrefixBounds_IncludeExactlyTheKeysWithThePrefix()
    {
        var random = new Random(99);
        for (var round = 0; round < 200; round++)
        {
            var keys = Enumerable.Range(0, 40).Select(_ => SqlKey.IndexEntry("t", "i", RandomValues(random, random.Next(1, 4))))
                .Append(SqlKey.IndexEntry("t", "h", [1])).Append(SqlKey.IndexEntry("t", "j", [1])).Append(SqlKey.Row("t", [1])).ToList();
            var prefix = RandomValues(random, random.Next(0, 3));
            var range = SqlKey.PrefixRange(SqlKeySpace.Index, "t", "i", prefix);
            foreach (var key in keys)
            {
                var hasPrefix = key.Index == "i" && key.Space == SqlKeySpace.Index && key.Values.Length >= prefix.Length
                    && prefix.Select((v, n) => SqlSemantics.SortCompare(v, key.Values[n]) == 0).All(x => x);
                Assert.True(hasPrefix == range.Contains(key), $"{key} with prefix {string.Join(",", prefix)}");
            }
        }
    }

    [Fact]
    public void Bounds_ExpressOpenRangesWithNullsLast()
    {
        SqlKey Key(Value v) => SqlKey.IndexEntry("t", "i", [v, 0]);
        var keys = new[] { Key(1), Key(5), Key(5.0), Key(7.5m), Key(Value.Null) };

        // a > 5: after every key starting with 5, before the NULLs.
        var greater = new SqlKeyRange(SqlKey.UpperBound(SqlKeySpace.Index, "t", "i", [5]), SqlKey.LowerBound(SqlKeySpace.Index, "t", "i", [Value.Null]));
        Assert.Equal([false, false, false, true, false], keys.Select(greater.Contains));

        // a < 5.0
        var less = new SqlKeyRange(SqlKey.LowerBound(SqlKeySpace.Index, "t", "i", []), SqlKey.LowerBound(SqlKeySpace.Index, "t", "i", [5.0]));
        Assert.Equal([true, false, false, false, false], keys.Select(less.Contains));

        // a IS NULL
        var isNull = SqlKey.PrefixRange(SqlKeySpace.Index, "t", "i", [Value.Null]);
        Assert.Equal([false, false, false, false, true], keys.Select(isNull.Contains));
    }

    [Fact]
    public void Codec_RoundTripsKeys()
    {
        SqlKey[] keys =
        [
            SqlKey.Catalog("users"),
            SqlKey.Row("users", [1, "x", Value.Null, 1.5, 2.50m, true, new byte[] { 1, 2 }]),
            SqlKey.IndexEntry("users", "users_name_key", ["é"]),
        ];
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var key in keys)
        {
            SqlKeyCodec.Write(buffer, key);
        }

        var reader = new SpanReader(buffer.WrittenSpan);
        foreach (var key in keys)
        {
            var back = SqlKeyCodec.Read(ref reader);
            Assert.Equal(key.Space, back.Space);
            Assert.Equal(key.Table, back.Table);
            Assert.Equal(key.Index, back.Index);
            Assert.Equal(key.Values.AsEnumerable(), back.Values.AsEnumerable()); // structural: kinds and decimal scale kept
        }

        Assert.Equal(0, reader.Remaining);
        Assert.Throws<ArgumentException>(() => SqlKeyCodec.Write(buffer, SqlKey.LowerBound(SqlKeySpace.Rows, "t", "", [])));
    }

    private static ImmutableArray<Value> RandomValues(Random random, int count) =>
        [.. Enumerable.Range(0, count).Select(_ => (random.Next(5)) switch
        {
            0 => Value.Null,
            1 => Value.From((long)random.Next(-2, 3)),
            2 => Value.From(random.Next(-4, 5) / 2.0),
            3 => Value.From(random.Next(-4, 5) / 2m),
            _ => Value.From(random.Next(-2, 3) + 0.0m),
        })];

    private static int Reference(ImmutableArray<Value> a, ImmutableArray<Value> b)
    {
        for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
        {
            var c = SqlSemantics.SortCompare(a[i], b[i]);
            if (c != 0)
            {
                return c;
            }
        }

        return a.Length.CompareTo(b.Length);
    }
}
