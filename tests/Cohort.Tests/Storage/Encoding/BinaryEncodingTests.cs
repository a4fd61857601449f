using System.Buffers;
using Cohort.Storage.Encoding;

namespace Cohort.Tests.Storage.Encoding;

public sealed class BinaryEncodingTests
{
    private const int PropertySeed = 20260521;

    [Fact]
    public void WriteValueThenReadValue_RandomNestedValues_AreBitExact()
    {
        var random = new RandomValues(PropertySeed);
        for (var i = 0; i < 2000; i++)
        {
            var original = random.Next();
            var bytes = Encode(original);

            var reader = new SpanReader(bytes);
            var decoded = reader.ReadValue();

            Assert.True(reader.Remaining == 0, $"seed {PropertySeed}, value #{i}: {reader.Remaining} bytes left over");
            Assert.True(original.Equals(decoded), $"seed {PropertySeed}, value #{i}: {ValueJson.Serialize(original)} decoded as {ValueJson.Serialize(decoded)}");
            Assert.True(StrictValue.AreSame(original, decoded, anyNaN: false), $"seed {PropertySeed}, value #{i}: not bit-exact: {ValueJson.Serialize(original)}");
        }
    }

    [Fact]
    public void ReadValue_EveryTruncationOfRandomValues_ThrowsCorruption()
    {
        var random = new RandomValues(PropertySeed + 1);
        for (var i = 0; i < 300; i++)
        {
            var original = random.Next();
            var bytes = Encode(original);
            for (var cut = 0; cut < bytes.Length; cut++)
            {
                var prefix = bytes[..cut];
                var e = Assert.Throws<CohortException>(() => new SpanReader(prefix).ReadValue());
                Assert.True(e.Code == ErrorCodes.Corruption, $"seed {PropertySeed + 1}, value #{i}, cut at {cut}: code {e.Code}");
            }
        }
    }

    [Theory]
    [InlineData(new byte[] { 42 })] // unknown kind
    [InlineData(new byte[] { 7, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F })] // list count far beyond the data
    [InlineData(new byte[] { 5, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 })] // varint of 11 bytes
    [InlineData(new byte[] { 6, 10, 1, 2 })] // byte string longer than the data
    public void ReadValue_MalformedInput_ThrowsCorruption(byte[] bytes)
    {
        var e = Assert.Throws<CohortException>(() => new SpanReader(bytes).ReadValue());

        Assert.Equal(ErrorCodes.Corruption, e.Code);
    }

    [Fact]
    public void ReadValue_DecimalWithInvalidFlags_ThrowsCorruption()
    {
        // Kind 4 (decimal) then 16 bytes whose flags word has bits set that no decimal has.
        var bytes = new byte[17];
        bytes[0] = (byte)ValueKind.Decimal;
        bytes[1] = 1;
        bytes[13] = 0xFF;
        bytes[14] = 0xFF;
        bytes[15] = 0xFF;
        bytes[16] = 0xFF;

        var e = Record.Exception(() => new SpanReader(bytes).ReadValue());

        Assert.True(e is CohortException { Code: ErrorCodes.Corruption }, $"expected CohortException(corruption), got {e?.GetType().Name}: {e?.Message}");
    }

    [Fact]
    public void ReadValue_NestingDeeperThanLimit_ThrowsCorruption()
    {
        var buffer = new ArrayBufferWriter<byte>();
        for (var i = 0; i < 200; i++)
        {
            buffer.WriteByte((byte)ValueKind.List);
            buffer.WriteVarUInt(1);
        }

        buffer.WriteByte((byte)ValueKind.Null);

        var e = Assert.Throws<CohortException>(() => new SpanReader(buffer.WrittenSpan).ReadValue());
        Assert.Equal(ErrorCodes.Corruption, e.Code);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(-1L)]
    [InlineData(63L)]
    [InlineData(-64L)]
    [InlineData(64L)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    public void WriteVarIntThenRead_RoundTripsAndIsCompactForSmallValues(long number)
    {
        var buffer = new ArrayBufferWriter<byte>();
        buffer.WriteVarInt(number);

        var reader = new SpanReader(buffer.WrittenSpan);

        Assert.Equal(number, reader.ReadVarInt());
        Assert.Equal(0, reader.Remaining);
        Assert.Equal(number is >= -64 and < 64 ? 1 : buffer.WrittenCount, buffer.WrittenCount);
        Assert.InRange(buffer.WrittenCount, 1, 10);
    }

    [Fact]
    public void PrimitivesWrittenInSequence_ReadBackInSequence()
    {
        var id = new TxId(0x0123_4567_89AB_7CDE, 0x8123_4567_89AB_CDEF);
        var buffer = new ArrayBufferWriter<byte>();
        buffer.WriteVarUInt(ulong.MaxValue);
        buffer.WriteInt64(-5);
        buffer.WriteString("héllo 😀");
        buffer.WriteString(new string('x', 1000));
        buffer.WriteNullableString(null);
        buffer.WriteNullableString("");
        buffer.WriteTxId(id);
        buffer.WriteBytes([1, 2, 3]);

        var reader = new SpanReader(buffer.WrittenSpan);

        Assert.Equal(ulong.MaxValue, reader.ReadVarUInt());
        Assert.Equal(-5, reader.ReadInt64());
        Assert.Equal("héllo 😀", reader.ReadString());
        Assert.Equal(new string('x', 1000), reader.ReadString());
        Assert.Null(reader.ReadNullableString());
        Assert.Equal("", reader.ReadNullableString());
        Assert.Equal(id, reader.ReadTxId());
        Assert.Equal(new byte[] { 1, 2, 3 }, reader.ReadBytes().ToArray());
        Assert.Equal(0, reader.Remaining);
        var e = Assert.Throws<CohortException>(() => new SpanReader(buffer.WrittenSpan[..3]).ReadTxId());
        Assert.Equal(ErrorCodes.Corruption, e.Code);
    }

    private static byte[] Encode(Value value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        buffer.WriteValue(value);
        return buffer.WrittenSpan.ToArray();
    }
}
