namespace Cohort.Tests.Core;

public sealed class HybridClockTests
{
    private static readonly DateTimeOffset Start = new(2026, 5, 21, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Now_ManyCallsOnSystemClock_StrictlyIncrease()
    {
        var clock = new HybridClock();
        var previous = clock.Now();
        for (var i = 0; i < 100_000; i++)
        {
            var next = clock.Now();
            Assert.True(next > previous, $"call #{i}: {next.Value} after {previous.Value}");
            previous = next;
        }

        Assert.Equal(previous, clock.Current);
    }

    [Fact]
    public void Now_WhenPhysicalTimeGoesBackwards_StillStrictlyIncreases()
    {
        var time = new FakeTimeProvider(Start);
        var clock = new HybridClock(time);
        var random = new Random(7);
        var previous = clock.Now();
        var maxWall = Start;

        for (var i = 0; i < 10_000; i++)
        {
            // Mostly small steps, some large jumps back (NTP corrections, VM migration).
            var step = random.Next(10) == 0 ? TimeSpan.FromSeconds(-random.Next(1, 60)) : TimeSpan.FromMilliseconds(random.Next(-3, 4));
            time.SetUtcNow(time.GetUtcNow() + step);
            if (time.GetUtcNow() > maxWall)
            {
                maxWall = time.GetUtcNow();
            }

            var next = clock.Now();
            Assert.True(next > previous, $"step #{i}: {next.Value} is not after {previous.Value}");

            // Never behind physical time, never ahead of the latest physical time it has seen (no observes here).
            Assert.True(next.WallMilliseconds >= time.GetUtcNow().ToUnixTimeMilliseconds());
            Assert.Equal(maxWall.ToUnixTimeMilliseconds(), next.WallMilliseconds);
            previous = next;
        }
    }

    [Fact]
    public void Now_WhenPhysicalTimeAdvances_UsesItWithLogicalZero()
    {
        var time = new FakeTimeProvider(Start);
        var clock = new HybridClock(time);

        var first = clock.Now();
        var second = clock.Now();
        time.Advance(TimeSpan.FromMilliseconds(5));
        var third = clock.Now();

        Assert.Equal(HlcTimestamp.FromDateTimeOffset(Start), first);
        Assert.Equal(first.Value + 1, second.Value);
        Assert.Equal(1, second.Logical);
        Assert.Equal(HlcTimestamp.FromDateTimeOffset(Start.AddMilliseconds(5)), third);
        Assert.Equal(0, third.Logical);
    }

    [Fact]
    public void Observe_FutureTimestamp_MakesNowExceedIt()
    {
        var time = new FakeTimeProvider(Start);
        var clock = new HybridClock(time);
        var future = new HlcTimestamp(HlcTimestamp.FromDateTimeOffset(Start.AddMinutes(10)).Value + 17);

        clock.Observe(future);
        var next = clock.Now();

        Assert.True(next > future);
        Assert.Equal(future.Value + 1, next.Value);
        Assert.Equal(18, next.Logical);
    }

    [Fact]
    public void Observe_PastTimestamp_ChangesNothing()
    {
        var time = new FakeTimeProvider(Start);
        var clock = new HybridClock(time);
        var issued = clock.Now();

        clock.Observe(HlcTimestamp.FromDateTimeOffset(Start.AddSeconds(-1)));

        Assert.Equal(issued, clock.Current);
        Assert.Equal(issued.Value + 1, clock.Now().Value);
    }

    [Fact]
    public async Task Now_FromManyThreadsWithObserves_IssuesUniqueIncreasingTimestamps()
    {
        var clock = new HybridClock();
        const int Threads = 4;
        const int PerThread = 20_000;
        var results = new long[Threads][];

        var tasks = Enumerable.Range(0, Threads).Select(t => Task.Run(() =>
        {
            var mine = new long[PerThread];
            for (var i = 0; i < PerThread; i++)
            {
                if (i % 1000 == 0)
                {
                    clock.Observe(new HlcTimestamp(clock.Current.Value + 3));
                }

                mine[i] = clock.Now().Value;
                if (i > 0)
                {
                    Assert.True(mine[i] > mine[i - 1]);
                }
            }

            results[t] = mine;
        }));
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60));

        var all = results.SelectMany(r => r).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
    }

    [Fact]
    public void HlcTimestamp_PartsAndParsing_RoundTrip()
    {
        var ts = new HlcTimestamp((Start.ToUnixTimeMilliseconds() << HlcTimestamp.LogicalBits) | 3);

        Assert.Equal(Start, ts.ToDateTimeOffset());
        Assert.Equal(3, ts.Logical);
        Assert.Equal("2026-05-21T12:00:00.000Z+3", ts.ToString());
        Assert.True(HlcTimestamp.TryParse(ts.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), out var raw));
        Assert.Equal(ts, raw);

        // An ISO time means the last timestamp of that millisecond.
        Assert.True(HlcTimestamp.TryParse("2026-05-21T12:00:00.000Z", out var asOf));
        Assert.Equal(Start.ToUnixTimeMilliseconds(), asOf.WallMilliseconds);
        Assert.Equal(0xFFFF, asOf.Logical);
        Assert.False(HlcTimestamp.TryParse("yesterday-ish", out _));
    }
}
