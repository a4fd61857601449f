using System.Buffers.Binary;
using System.Runtime.Intrinsics.X86;

namespace Cohort.Storage;

/// <summary>CRC-32C (Castagnoli), hardware-accelerated with SSE 4.2 where available.</summary>
internal static class Crc32C
{
    private const uint Polynomial = 0x82F63B78u;
    private static readonly uint[] Table = BuildTable();

    /// <summary>Computes the checksum of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>Continues a checksum over more data.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        var c = ~crc;
        if (Sse42.X64.IsSupported)
        {
            var c64 = (ulong)c;
            while (data.Length >= 8)
            {
                c64 = Sse42.X64.Crc32(c64, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[8..];
            }

            c = (uint)c64;
            foreach (var b in data)
            {
                c = Sse42.Crc32(c, b);
            }
        }
        else
        {
            foreach (var b in data)
            {
                c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
            }
        }

        return ~c;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? (c >> 1) ^ Polynomial : c >> 1;
            }

            table[i] = c;
        }

        return table;
    }
}
