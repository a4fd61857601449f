namespace Cohort.Tests.Core;

public sealed class ValueMapTests
{
    [Theory]
    [InlineData(3)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(500)]
    public void Create_UnorderedWithRepeats_SortsOrdinallyAndKeepsEachKeysLastValue(int keys)
    {
        // Every key three times, in a shuffled order; the value says which occurrence it was.
        var random = new Random(keys);
        var occurrences = Enumerable.Range(0, keys).SelectMany(k => new[] { k, k, k }).OrderBy(_ => random.Next()).ToList();
        var seen = new Dictionary<int, int>();
        var entries = new List<KeyValuePair<string, Value>>();
        foreach (var k in occurrences)
        {
            seen[k] = seen.GetValueOrDefault(k) + 1;
            entries.Add(new($"k{k}", Value.From(seen[k])));
        }

        var map = ValueMap.CreateRange(entries);

        Assert.Equal(keys, map.Count);
        Assert.Equal(entries.Select(e => e.Key).Distinct().Order(StringComparer.Ordinal), map.Keys);
        Assert.All(map, e => Assert.Equal(Value.From(3), e.Value));
        var builder = new ValueMap.Builder(1);
        foreach (var (key, value) in entries)
        {
            builder[key] = value;
        }

        Assert.Equal(Value.Map(map), Value.Map(builder.ToMap()));
        Assert.Equal(0, builder.Count);
    }

    [Fact]
    public void Lookups_FindPresentKeysOnly_AndOrderIsOrdinalNotCultural()
    {
        var map = ValueMap.Create(("b", 2), ("a", 1), ("B", 3), ("é", 4), ("", 0));

        Assert.Equal(["", "B", "a", "b", "é"], map.Keys);
        Assert.True(map.TryGetValue("B", out var upper));
        Assert.Equal(Value.From(3), upper);
        Assert.Equal(Value.From(0), map[""]);
        Assert.False(map.ContainsKey("c"));
        Assert.False(map.TryGetValue("A", out _));
        Assert.Throws<KeyNotFoundException>(() => map["zz"]);
        Assert.Empty(ValueMap.Empty);
        Assert.False(ValueMap.Empty.ContainsKey("a"));
    }

    [Fact]
    public void AddSetItemRemove_ReturnNewMaps_AndLeaveTheOriginalAlone()
    {
        var original = ValueMap.Create(("b", 2), ("d", 4));

        var added = original.Add("c", 3).Add("a", 1).Add("e", 5);
        var set = original.SetItem("b", 20).SetItem("z", 26);
        var removed = added.Remove("c").Remove("missing");

        Assert.Equal(["a", "b", "c", "d", "e"], added.Keys);
        Assert.Equal([Value.From(1), 2, 3, 4, 5], added.Values);
        Assert.Equal([Value.From(20), 4, 26], set.Values);
        Assert.Equal(["a", "b", "d", "e"], removed.Keys);
        Assert.Same(original, original.Add("b", 2));
        Assert.Same(original, original.Remove("x"));
        Assert.Throws<ArgumentException>(() => original.Add("b", 3));
        Assert.Equal(["b", "d"], original.Keys);
        Assert.Equal([Value.From(2), 4], original.Values);
    }

    [Fact]
    public void NullKey_IsRefused()
    {
        Assert.Throws<ArgumentNullException>(() => ValueMap.CreateRange([new KeyValuePair<string, Value>(null!, 1)]));
        Assert.Throws<ArgumentNullException>(() => new ValueMap.Builder().Add(null!, 1));
        Assert.Throws<ArgumentNullException>(() => ValueMap.Empty.ContainsKey(null!));
    }

    [Fact]
    public void Lists_KeepTheirItemsWithoutCopiesVisibleToCallers()
    {
        var list = Value.List(1, "two", Value.List(3));

        Assert.Equal(3, list.AsList().Length);
        Assert.Equal(Value.From("two"), list.AsList()[1]);
        Assert.Equal(list, Value.List(list.AsList().ToArray().AsSpan()));
        Assert.Empty(Value.List(default(System.Collections.Immutable.ImmutableArray<Value>)).AsList());
    }
}
