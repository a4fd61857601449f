namespace Cohort.Tests.Core;

public sealed class RecentOutcomesTests
{
    [Fact]
    public void Full_ForgetsTheOldestFirst_AndAnExistingEntryKeepsItsValueAndAge()
    {
        var ids = Enumerable.Range(0, 40).Select(_ => TxId.NewId()).ToArray();
        var recent = new RecentOutcomes<int>(25);

        for (var i = 0; i < 30; i++)
        {
            Assert.True(recent.TryAdd(ids[i], i));
        }

        Assert.False(recent.TryAdd(ids[29], -1));
        recent.Set(ids[5], 500);

        Assert.Equal(25, recent.Count);
        Assert.All(ids[..5], id => Assert.False(recent.ContainsKey(id)));
        Assert.True(recent.TryGetValue(ids[29], out var last));
        Assert.Equal(29, last);
        Assert.True(recent.TryGetValue(ids[5], out var replaced));
        Assert.Equal(500, replaced);

        // Set on an entry does not make it younger: it is the next to go.
        recent.TryAdd(ids[30], 30);
        Assert.False(recent.ContainsKey(ids[5]));
        recent.Set(ids[31], 31);
        Assert.False(recent.ContainsKey(ids[6]));
        Assert.Equal(Enumerable.Range(7, 25).ToArray(), recent.ToList().Select(e => e.Value).Order().ToArray());
    }

    [Fact]
    public async Task ConcurrentWriters_LeaveExactlyTheCapacity_ConsistentAndEvictingTheOldest()
    {
        var recent = new RecentOutcomes<long>(1000);
        var first = new TxId[4];
        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                var id = TxId.NewId();
                recent.TryAdd(id, (w * 100_000) + i);
                if (i == 0)
                {
                    first[w] = id;
                }
            }
        })));

        var entries = recent.ToList();
        Assert.Equal(1000, recent.Count);
        Assert.Equal(1000, entries.Count);
        Assert.All(entries, e => Assert.True(recent.TryGetValue(e.Key, out var v) && v == e.Value));
        Assert.All(first, id => Assert.False(recent.ContainsKey(id)));

        // The ring and the map agree: 1000 more sequential adds replace every entry.
        var later = Enumerable.Range(0, 1000).Select(_ => TxId.NewId()).ToList();
        later.ForEach(id => recent.TryAdd(id, -1));
        Assert.All(entries, e => Assert.False(recent.ContainsKey(e.Key)));
        Assert.All(later, id => Assert.True(recent.ContainsKey(id)));
    }

    [Fact]
    public void Capacity_BelowOne_IsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new RecentOutcomes<int>(0));
}
