using System.Buffers;
using System.Collections.Immutable;
using Cohort.Core;
using Cohort.Storage.Encoding;

namespace Cohort.Sql.Storage;

/// <summary>
/// Writes and reads <see cref="SqlKey"/>s for snapshots and log records
/// (<c>MvccStore.WriteTo(writer, SqlKeyCodec.Write)</c>, <c>ReadFrom(ref reader, SqlKeyCodec.Read)</c>):
/// space byte, table, index, value count, values (<see cref="BinaryEncoding.WriteValue"/>).
/// </summary>
internal static class SqlKeyCodec
{
    /// <summary>Writes a stored key (not a range bound).</summary>
    public static void Write(IBufferWriter<byte> writer, SqlKey key)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(key);
        if (key.IsBound)
        {
            throw new ArgumentException("A range bound is not a storable key.", nameof(key));
        }

        writer.WriteByte((byte)key.Space);
        writer.WriteString(key.Table);
        writer.WriteString(key.Index);
        writer.WriteVarUInt((ulong)key.Values.Length);
        foreach (var value in key.Values)
        {
            writer.WriteValue(value);
        }
    }

    /// <summary>Writes a key that may be a range bound (for logged range locks).</summary>
    public static void WriteRangeKey(IBufferWriter<byte> writer, SqlKey key)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(key);
        writer.WriteByte(unchecked((byte)key.Bound));
        Write(writer, key.IsBound ? SqlKey.Create(key.Space, key.Table, key.Index, key.Values) : key);
    }

    /// <summary>Reads what <see cref="WriteRangeKey"/> wrote; malformed data throws <c>corruption</c>.</summary>
    public static SqlKey ReadRangeKey(ref SpanReader reader)
    {
        var bound = unchecked((sbyte)reader.ReadByte());
        var key = Read(ref reader);
        return bound switch
        {
            0 => key,
            -1 => SqlKey.LowerBound(key.Space, key.Table, key.Index, key.Values),
            1 => SqlKey.UpperBound(key.Space, key.Table, key.Index, key.Values),
            _ => throw new CohortException(ErrorCodes.Corruption, $"Corrupt SQL range key: unknown bound {bound}.", isTransient: false),
        };
    }

    /// <summary>Reads what <see cref="Write"/> wrote; malformed data throws <c>corruption</c>.</summary>
    public static SqlKey Read(ref SpanReader reader)
    {
        var space = reader.ReadByte();
        if (space > (byte)SqlKeySpace.Index)
        {
            throw new CohortException(ErrorCodes.Corruption, $"Corrupt SQL key: unknown key space {space}.", isTransient: false);
        }

        var table = reader.ReadString();
        var index = reader.ReadString();
        var count = reader.ReadVarUInt();
        if (count > (ulong)reader.Remaining)
        {
            throw new CohortException(ErrorCodes.Corruption, "Corrupt SQL key: value count beyond end of data.", isTransient: false);
        }

        var values = ImmutableArray.CreateBuilder<Value>((int)count);
        for (ulong i = 0; i < count; i++)
        {
            values.Add(reader.ReadValue());
        }

        return SqlKey.Create((SqlKeySpace)space, table, index, values.MoveToImmutable());
    }
}
