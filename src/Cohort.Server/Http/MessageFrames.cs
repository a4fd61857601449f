using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using Cohort.Core;

namespace Cohort.Server.Http;

/// <summary>
/// The framing of the node-to-node message socket (<c>GET /internal/ws</c>): each WebSocket text message is a JSON
/// array of messages. Requests are <c>{"id","path","body"}</c>, answers <c>{"id","status","body"}</c> with the body an
/// endpoint's JSON answer or, for a status of 400 and up, its problem body — the same documents the HTTP endpoints
/// exchange. Both sides write with one loop per socket that puts every message waiting in its queue into the next frame,
/// so under load many requests (or answers) share one frame and one system call, as group commit does for fsyncs.
/// </summary>
internal static class MessageFrames
{
    /// <summary>The largest frame a side accepts; a bigger one closes the socket.</summary>
    public const int MaxFrameBytes = 64 * 1024 * 1024;

    /// <summary>A frame stops taking more messages once it holds this many bytes.</summary>
    public const int SoftFrameBytes = 1024 * 1024;

    /// <summary>Reads one whole frame into <paramref name="buffer"/>; <see langword="false"/> when the other side closed.</summary>
    public static async ValueTask<bool> ReadAsync(WebSocket socket, ArrayBufferWriter<byte> buffer, CancellationToken cancellationToken)
    {
        buffer.ResetWrittenCount();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.GetMemory(16 * 1024), cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return false;
            }

            buffer.Advance(result.Count);
            if (buffer.WrittenCount > MaxFrameBytes)
            {
                throw new CohortException("too_large", $"A message frame exceeded {MaxFrameBytes} bytes.", isTransient: false);
            }

            if (result.EndOfMessage)
            {
                return true;
            }
        }
    }

    /// <summary>The messages of a frame.</summary>
    public static IEnumerable<Value> Messages(ArrayBufferWriter<byte> frame) =>
        ValueJson.Parse(frame.WrittenSpan) is { Kind: ValueKind.List } list
            ? list.AsList()
            : throw new CohortException(ErrorCodes.BadJson, "A message frame must be a JSON array.", isTransient: false);

    /// <summary>
    /// Sends what <paramref name="queue"/> holds until it completes: every message waiting goes into the next frame (up
    /// to <see cref="SoftFrameBytes"/>), written by <paramref name="write"/>.
    /// </summary>
    public static async Task SendLoopAsync<T>(WebSocket socket, ChannelReader<T> queue, Action<Utf8JsonWriter, T> write, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true });
        while (await queue.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            buffer.ResetWrittenCount();
            writer.Reset(buffer);
            writer.WriteStartArray();
            while (writer.BytesCommitted + writer.BytesPending < SoftFrameBytes && queue.TryRead(out var message))
            {
                write(writer, message);
            }

            writer.WriteEndArray();
            writer.Flush();
            await socket.SendAsync(buffer.WrittenMemory, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        }
    }
}
