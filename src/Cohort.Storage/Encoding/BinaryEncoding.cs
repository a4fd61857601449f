using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Immutable;
using Cohort.Core;

namespace Cohort.Storage.Encoding;

/// <summary>Compact little-endian binary encoding used by log records and snapshots.</summary>
public static class BinaryEncoding
{
    /// <summary>Writes an unsigned LEB128 varint.</summary>
    public static void WriteVarUInt(this IBufferWriter<byte> writer, ulong value)
    {
        var span = writer.GetSpan(10);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[i++] = (byte)value;
        writer.Advance(i);
    }

    /// <summary>Writes a zig-zag signed varint.</summary>
    public static void WriteVarInt(this IBufferWriter<byte> writer, long value) =>
        writer.WriteVarUInt((ulong)((value << 1) ^ (value >> 63)));

    /// <summary>Writes a fixed 8-byte integer.</summary>
    public static void WriteInt64(this IBufferWriter<byte> writer, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(writer.GetSpan(8), value);
        writer.Advance(8);
    }

    /// <summary>Writes a single byte.</summary>
    public static void WriteByte(this IBufferWriter<byte> writer, byte value)
    {
        writer.GetSpan(1)[0] = value;
        writer.Advance(1);
    }

    /// <summary>Writes a length-prefixed byte string.</summary>
    public static void WriteBytes(this IBufferWriter<byte> writer, ReadOnlySpan<byte> value)
    {
        writer.WriteVarUInt((ulong)value.Length);
        writer.Write(value);
    }

    /// <summary>Writes a length-prefixed UTF-8 string.</summary>
    public static void WriteString(this IBufferWriter<byte> writer, string value)
    {
        var max = System.Text.Encoding.UTF8.GetMaxByteCount(value.Length);
        if (max <= 512)
        {
            Span<byte> buffer = stackalloc byte[max];
            var n = System.Text.Encoding.UTF8.GetBytes(value, buffer);
            writer.WriteBytes(buffer[..n]);
        }
        else
        {
            writer.WriteBytes(System.Text.Encoding.UTF8.GetBytes(value));
        }
    }

    /// <summary>Writes an optional string (a presence byte then the string).</summary>
    public static void WriteNullableString(this IBufferWriter<byte> writer, string? value)
    {
        writer.WriteByte(value is null ? (byte)0 : (byte)1);
        if (value is not null)
        {
            writer.WriteString(value);
        }
    }

    /// <summary>Writes a transaction id (16 bytes).</summary>
    public static void WriteTxId(this IBufferWriter<byte> writer, TxId id)
    {
        id.WriteTo(writer.GetSpan(16));
        writer.Advance(16);
    }

    /// <summary>Writes a value: a kind byte, then its content.</summary>
    public static void WriteValue(this IBufferWriter<byte> writer, Value value)
    {
        writer.WriteByte((byte)value.Kind);
        switch (value.Kind)
        {
            case ValueKind.Null:
                break;
            case ValueKind.Bool:
                writer.WriteByte(value.AsBool() ? (byte)1 : (byte)0);
                break;
            case ValueKind.Int64:
                writer.WriteVarInt(value.AsInt64());
                break;
            case ValueKind.Double:
                writer.WriteInt64(BitConverter.DoubleToInt64Bits(value.AsDouble()));
                break;
            case ValueKind.Decimal:
            {
                Span<int> bits = stackalloc int[4];
                decimal.GetBits(value.AsDecimal(), bits);
                var span = writer.GetSpan(16);
                for (var i = 0; i < 4; i++)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(span[(i * 4)..], bits[i]);
                }

                writer.Advance(16);
                break;
            }

            case ValueKind.String:
                writer.WriteString(value.AsString());
                break;
            case ValueKind.Bytes:
                writer.WriteBytes(value.AsBytes().Span);
                break;
            case ValueKind.List:
            {
                var list = value.AsList();
                writer.WriteVarUInt((ulong)list.Length);
                foreach (var item in list)
                {
                    writer.WriteValue(item);
                }

                break;
            }

            case ValueKind.Map:
            {
                var map = value.AsMap().Entries;
                writer.WriteVarUInt((ulong)map.Length);
                foreach (var (key, item) in map)
                {
                    writer.WriteString(key);
                    writer.WriteValue(item);
                }

                break;
            }
        }
    }
}

/// <summary>Reads what <see cref="BinaryEncoding"/> wrote; any malformation throws <c>corruption</c>.</summary>
public ref struct SpanReader
{
    private ReadOnlySpan<byte> _data;

    /// <summary>Creates a reader over <paramref name="data"/>.</summary>
    public SpanReader(ReadOnlySpan<byte> data) => _data = data;

    /// <summary>Bytes not yet read.</summary>
    public readonly int Remaining => _data.Length;

    /// <summary>Reads an unsigned varint.</summary>
    public ulong ReadVarUInt()
    {
        ulong result = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            var b = ReadByte();
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        throw Corrupt("varint too long");
    }

    /// <summary>Reads a zig-zag signed varint.</summary>
    public long ReadVarInt()
    {
        var raw = ReadVarUInt();
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    /// <summary>Reads a fixed 8-byte integer.</summary>
    public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    /// <summary>Reads one byte.</summary>
    public byte ReadByte()
    {
        if (_data.IsEmpty)
        {
            throw Corrupt("unexpected end of data");
        }

        var b = _data[0];
        _data = _data[1..];
        return b;
    }

    /// <summary>Reads a length-prefixed byte string (a view, not a copy).</summary>
    public ReadOnlySpan<byte> ReadBytes()
    {
        var length = ReadVarUInt();
        return length > (ulong)_data.Length ? throw Corrupt("length beyond end of data") : Take((int)length);
    }

    /// <summary>Reads a length-prefixed UTF-8 string.</summary>
    public string ReadString() => System.Text.Encoding.UTF8.GetString(ReadBytes());

    /// <summary>Reads an optional string.</summary>
    public string? ReadNullableString() => ReadByte() == 0 ? null : ReadString();

    /// <summary>Reads a transaction id.</summary>
    public TxId ReadTxId() => TxId.ReadFrom(Take(16));

    /// <summary>Reads a value.</summary>
    public Value ReadValue(int depth = 0)
    {
        if (depth > 128)
        {
            throw Corrupt("value nested too deeply");
        }

        var kind = (ValueKind)ReadByte();
        switch (kind)
        {
            case ValueKind.Null:
                return Value.Null;
            case ValueKind.Bool:
                return Value.From(ReadByte() != 0);
            case ValueKind.Int64:
                return Value.From(ReadVarInt());
            case ValueKind.Double:
                return Value.From(BitConverter.Int64BitsToDouble(ReadInt64()));
            case ValueKind.Decimal:
            {
                var span = Take(16);
                Span<int> bits = stackalloc int[4];
                for (var i = 0; i < 4; i++)
                {
                    bits[i] = BinaryPrimitives.ReadInt32LittleEndian(span[(i * 4)..]);
                }

                try
                {
                    return Value.From(new decimal(bits));
                }
                catch (ArgumentException)
                {
                    throw Corrupt("invalid decimal");
                }

            }

            case ValueKind.String:
                return Value.From(ReadString());
            case ValueKind.Bytes:
                return Value.From(ReadBytes());
            case ValueKind.List:
            {
                var count = CheckedCount(ReadVarUInt());
                var items = ImmutableArray.CreateBuilder<Value>(count);
                for (var i = 0; i < count; i++)
                {
                    items.Add(ReadValue(depth + 1));
                }

                return Value.List(items.MoveToImmutable());
            }

            case ValueKind.Map:
            {
                var count = CheckedCount(ReadVarUInt());
                var builder = new ValueMap.Builder(count);
                for (var i = 0; i < count; i++)
                {
                    var key = ReadString();
                    builder[key] = ReadValue(depth + 1);
                }

                return Value.Map(builder.ToMap());
            }

            default:
                throw Corrupt($"unknown value kind {(byte)kind}");
        }
    }

    private int CheckedCount(ulong count) =>
        count > (ulong)_data.Length ? throw Corrupt("element count beyond end of data") : (int)count;

    private ReadOnlySpan<byte> Take(int n)
    {
        if (n > _data.Length)
        {
            throw Corrupt("unexpected end of data");
        }

        var result = _data[..n];
        _data = _data[n..];
        return result;
    }

    private static CohortException Corrupt(string what) => new(ErrorCodes.Corruption, $"Corrupt record: {what}.");
}
