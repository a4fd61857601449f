namespace Cohort.Tests.Core;

/// <summary>The one retry delay sequence: growth, cap, jitter bounds, reset.</summary>
public sealed class BackoffTests
{
    private static readonly TimeSpan Ms50 = TimeSpan.FromMilliseconds(50);

    [Fact]
    public void Next_WithoutJitter_DoublesFromInitial()
    {
        var backoff = new Backoff(Ms50, TimeSpan.FromSeconds(5));
        Assert.Equal([50, 100, 200, 400, 800], Enumerable.Range(0, 5).Select(_ => backoff.Next().TotalMilliseconds));
        Assert.Equal(5, backoff.Attempts);
    }

    [Fact]
    public void Next_GrowsByTheMultiplier()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(10), multiplier: 3);
        Assert.Equal([10, 30, 90, 270], Enumerable.Range(0, 4).Select(_ => backoff.Next().TotalMilliseconds));
    }

    [Fact]
    public void Next_StopsGrowingAtTheCap()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(300));
        Assert.Equal([100, 200, 300, 300, 300], Enumerable.Range(0, 5).Select(_ => backoff.Next().TotalMilliseconds));
    }

    [Fact]
    public void Next_WithMaxValueCap_SaturatesInsteadOfOverflowing()
    {
        var backoff = new Backoff(TimeSpan.FromDays(1), TimeSpan.MaxValue);
        for (var i = 0; i < 100; i++)
        {
            Assert.True(backoff.Next() > TimeSpan.Zero);
        }

        Assert.Equal(TimeSpan.MaxValue, backoff.Next());
    }

    [Fact]
    public void Next_WithJitter_StaysWithinTheFractionBelowTheUnjitteredDelay()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2), jitter: 0.5, random: new Random(42));
        var plain = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2));
        var distinct = new HashSet<TimeSpan>();
        for (var i = 0; i < 200; i++)
        {
            var expected = plain.Next();
            var delay = backoff.Next();
            Assert.InRange(delay, expected * 0.5, expected);
            Assert.True(delay < expected || expected == TimeSpan.Zero);
            distinct.Add(delay);
        }

        // Jitter actually varies the delays at the cap.
        Assert.True(distinct.Count > 100, $"only {distinct.Count} distinct delays");
    }

    [Fact]
    public void Next_WithTheSameSeed_IsReproducible()
    {
        var a = new Backoff(Ms50, TimeSpan.FromSeconds(1), jitter: 0.3, random: new Random(7));
        var b = new Backoff(Ms50, TimeSpan.FromSeconds(1), jitter: 0.3, random: new Random(7));
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(a.Next(), b.Next());
        }
    }

    [Fact]
    public void Reset_StartsAgainFromInitial()
    {
        var backoff = new Backoff(Ms50, TimeSpan.FromSeconds(5));
        backoff.Next();
        backoff.Next();
        backoff.Next();
        backoff.Reset();
        Assert.Equal(0, backoff.Attempts);
        Assert.Equal(Ms50, backoff.Next());
        Assert.Equal(Ms50 * 2, backoff.Next());
    }

    [Fact]
    public void Constructor_RejectsBadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Backoff(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Backoff(TimeSpan.FromSeconds(-1), TimeSpan.FromSeconds(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Backoff(Ms50, TimeSpan.FromSeconds(1), multiplier: 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Backoff(Ms50, TimeSpan.FromSeconds(1), jitter: 1.5));
    }
}
