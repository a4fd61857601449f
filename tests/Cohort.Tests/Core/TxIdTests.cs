namespace Cohort.Tests.Core;

// TxId.NewId keeps process-wide state (last millisecond, counter). Only this class calls it, and xUnit
// runs the tests of one class one after another, so the exact-counter assertions below hold.
// TxId's counter is process-wide: tests that pin the clock must not interleave with other tests
// minting ids on the real clock, or the counter sequence they check has gaps.
[Collection(TxIdGeneratorCollection.Name)]
public sealed class TxIdTests
{
    private static readonly Lock FutureGate = new();
    private static DateTimeOffset _future;

    // A millisecond later than any used so far (also by borrowing), so an id at it starts a new millisecond.
    private static DateTimeOffset NextFutureMillisecond()
    {
        lock (FutureGate)
        {
            var candidate = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 60_000);
            _future = candidate > _future.AddSeconds(10) ? candidate : _future.AddSeconds(10);
            return _future;
        }
    }

    [Fact]
    public void NewId_ManyFromOneThread_AreStrictlyIncreasing()
    {
        var previous = TxId.NewId();
        for (var i = 0; i < 10_000; i++)
        {
            var next = TxId.NewId();
            Assert.True(previous < next, $"id #{i} {next} is not after {previous}");
            Assert.True(previous.IsOlderThan(next));
            previous = next;
        }
    }

    [Fact]
    public void NewId_HasUuidV7LayoutAndCurrentTimestamp()
    {
        var before = DateTimeOffset.UtcNow;
        var id = TxId.NewId();
        var text = id.ToString();

        Assert.Equal(36, text.Length);
        Assert.Equal('7', text[14]);
        Assert.Contains(text[19], "89ab");
        Assert.Equal(0x7UL, (id.High >> 12) & 0xF);
        Assert.Equal(0b10UL, id.Low >> 62);

        // Other tests in this class issue ids at fake times up to minutes ahead, which later ids never
        // go below, so only bound the timestamp loosely from above.
        Assert.InRange(id.Timestamp, before.AddSeconds(-1), before.AddHours(1));
    }

    [Fact]
    public void ToStringThenParse_RoundTrips()
    {
        for (var i = 0; i < 1000; i++)
        {
            var id = TxId.NewId();

            var text = id.ToString();
            var parsed = TxId.Parse(text);

            Assert.Equal(id, parsed);
            Assert.Equal(id.GetHashCode(), parsed.GetHashCode());
            Assert.True(TxId.TryParse(text, out var tried));
            Assert.Equal(id, tried);
            Assert.Equal(text, $"{parsed}");
        }
    }

    [Fact]
    public void ToString_IsBigEndianHex()
    {
        var id = new TxId(0x0123_4567_89AB_7CDEUL, 0x8123_4567_89AB_CDEFUL);

        Assert.Equal("01234567-89ab-7cde-8123-456789abcdef", id.ToString());
        Assert.Equal(id, TxId.Parse("01234567-89AB-7CDE-8123-456789ABCDEF"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-uuid")]
    [InlineData("01234567-89ab-7cde-8123-456789abcde")]
    public void Parse_Malformed_ThrowsFormatException(string text)
    {
        Assert.Throws<FormatException>(() => TxId.Parse(text));
        Assert.False(TxId.TryParse(text, out _));
    }

    [Fact]
    public void WriteToThenReadFrom_RoundTrips()
    {
        var id = TxId.NewId();
        Span<byte> bytes = stackalloc byte[16];

        id.WriteTo(bytes);

        Assert.Equal(id, TxId.ReadFrom(bytes));
    }

    [Fact]
    public void NewId_WithFixedTime_OrdersByCounterWithinTheMillisecond()
    {
        var fixedTime = NextFutureMillisecond();
        var time = new FakeTimeProvider(fixedTime);

        var ids = new List<TxId>();
        for (var i = 0; i < 1000; i++)
        {
            ids.Add(TxId.NewId(time));
        }

        Assert.All(ids, id => Assert.Equal(fixedTime, id.Timestamp));
        for (var i = 1; i < ids.Count; i++)
        {
            Assert.Equal((ids[i - 1].High & 0xFFF) + 1, ids[i].High & 0xFFF);
            Assert.True(ids[i - 1].IsOlderThan(ids[i]));
        }

        Assert.True((ids[0].High & 0xFFF) < 0x400, "a new millisecond's counter starts in the lower quarter");
    }

    [Fact]
    public void NewId_WhenCounterRunsOut_BorrowsNextMillisecondAndStaysIncreasing()
    {
        var fixedTime = NextFutureMillisecond();
        var time = new FakeTimeProvider(fixedTime);

        var previous = TxId.NewId(time);
        for (var i = 0; i < 5000; i++)
        {
            var next = TxId.NewId(time);
            Assert.True(previous.IsOlderThan(next));
            previous = next;
        }

        // 5001 ids need more than the 4096 counter values of one millisecond.
        Assert.Equal(fixedTime.AddMilliseconds(1), previous.Timestamp);
    }

    [Fact]
    public void IsOlderThan_ComparesHighThenLow()
    {
        var a = new TxId(0x10_7000, 0x8000_0000_0000_0005);
        var b = new TxId(0x10_7000, 0x8000_0000_0000_0006);
        var c = new TxId(0x11_7000, 0x8000_0000_0000_0000);

        Assert.True(a.IsOlderThan(b));
        Assert.True(b.IsOlderThan(c));
        Assert.True(a.IsOlderThan(c));
        Assert.False(b.IsOlderThan(a));
        Assert.False(a.IsOlderThan(a));
        Assert.True(TxId.Empty.IsOlderThan(a));
        var same = new TxId(a.High, a.Low);
        Assert.True(a <= same && a >= same && a != b && a == same);
    }

    [Fact]
    public void NewId_LaterWallClock_IsYounger()
    {
        var earlyTime = NextFutureMillisecond();
        var early = TxId.NewId(new FakeTimeProvider(earlyTime));
        var late = TxId.NewId(new FakeTimeProvider(earlyTime.AddMilliseconds(1)));

        Assert.True(early.IsOlderThan(late));
        Assert.False(late.IsOlderThan(early));
        Assert.Equal(earlyTime, early.Timestamp);
        Assert.Equal(earlyTime.AddMilliseconds(1), late.Timestamp);
    }
}
