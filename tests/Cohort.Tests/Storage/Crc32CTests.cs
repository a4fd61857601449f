using Cohort.Storage;

namespace Cohort.Tests.Storage;

public sealed class Crc32CTests
{
    [Fact]
    public void Compute_CheckString_GivesStandardVector()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
    }

    [Fact]
    public void Compute_KnownVectors_MatchRfc3720()
    {
        // RFC 3720 (iSCSI) appendix B.4.
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Equal(0x46DD794Eu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
        Assert.Equal(0x113FDB5Cu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray()));
        Assert.Equal(0u, Crc32C.Compute([]));
    }

    [Fact]
    public void Compute_AnyLength_MatchesBitwiseReference()
    {
        var random = new Random(3720);
        for (var length = 0; length <= 200; length++)
        {
            var data = new byte[length];
            random.NextBytes(data);

            Assert.True(Reference(data) == Crc32C.Compute(data), $"length {length}");
        }
    }

    [Fact]
    public void Append_InPieces_EqualsComputeOfWhole()
    {
        var data = new byte[1000];
        new Random(1).NextBytes(data);
        var whole = Crc32C.Compute(data);

        foreach (var cut in new[] { 0, 1, 7, 8, 9, 500, 999, 1000 })
        {
            var crc = Crc32C.Append(Crc32C.Compute(data.AsSpan(0, cut)), data.AsSpan(cut));
            Assert.Equal(whole, crc);
        }
    }

    private static uint Reference(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
            }
        }

        return ~crc;
    }
}
