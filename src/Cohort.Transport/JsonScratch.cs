using System.Buffers;
using System.Text.Json;

namespace Cohort.Transport;

/// <summary>
/// A JSON writer and its buffer per thread, for encoding a document that is copied out at once (a protocol message, an
/// HTTP answer): no writer or growing buffer allocated per document. Not for use across an await.
/// </summary>
internal static class JsonScratch
{
    // A buffer that grew past this for one big document is not kept by its thread.
    private const int KeepBytes = 1024 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>This thread's writer, reset onto its emptied buffer.</summary>
    public static Utf8JsonWriter Start(out ArrayBufferWriter<byte> buffer)
    {
        buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer);
        writer.Reset(buffer);
        return writer;
    }

    /// <summary>Call once the written bytes have been copied out: drops a buffer a big document made big.</summary>
    public static void Done(ArrayBufferWriter<byte> buffer)
    {
        if (buffer.Capacity > KeepBytes)
        {
            t_buffer = null;
            t_writer = null;
        }
    }
}
