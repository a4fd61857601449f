using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using Cohort.Core;

namespace Cohort.Transport;

/// <summary>
/// The framing of the node-to-node message socket (<c>GET /internal/ws</c>): each WebSocket text message is a JSON
/// array of messages. Requests are <c>{"id","path","body"}</c>, answers <c>{"id","status","body"}</c> with the body an
/// endpoint's JSON answer or, for a status of 400 and up, its problem body — the same documents the HTTP endpoints
/// exchange. A sender that gives up on a request it sent follows it with <c>{"id","cancel":true}</c>: the receiver
/// cancels that request's handler if it still runs (its answer, if any, is then ignored) and sends nothing back.
/// Each message is encoded by the party that sends it (so an encoding error reaches that caller alone), and
/// one loop per socket side puts every encoded message waiting in its queue into the next frame, so under load many
/// requests (or answers) share one frame and one system call, as group commit does for fsyncs.
/// </summary>
internal static class MessageFrames
{
    /// <summary>The largest frame a side accepts; a bigger one closes the socket.</summary>
    public const int MaxFrameBytes = 64 * 1024 * 1024;

    /// <summary>The largest single message: a bigger request is refused before it is sent, a bigger answer becomes a 413.</summary>
    public const int MaxMessageBytes = 16 * 1024 * 1024;

    /// <summary>A frame stops taking more messages once it holds this many bytes.</summary>
    public const int SoftFrameBytes = 1024 * 1024;

    /// <summary>Pings every this often; a side that hears nothing back within <see cref="KeepAliveTimeout"/> drops the socket.</summary>
    public static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(5);

    /// <summary>See <see cref="KeepAliveInterval"/>: a frozen or unreachable peer fails the requests waiting on it after this.</summary>
    public static readonly TimeSpan KeepAliveTimeout = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The queue id of a message that is always sent (a cancel), whatever became of requests: request ids start at 1.
    /// </summary>
    public const long ControlId = 0;

    /// <summary>One encoded request.</summary>
    /// <exception cref="CohortException"><c>bad_json</c> when the body cannot be encoded, <c>too_large</c> past <see cref="MaxMessageBytes"/>.</exception>
    /// <param name="id">The request's id, unique on its socket.</param>
    /// <param name="path">The protocol request (<c>internal/prepare</c>).</param>
    /// <param name="body">Its body.</param>
    /// <param name="traceParent">The sender's W3C trace context, sent as <c>"traceparent"</c>; null for none.</param>
    public static byte[] Request(long id, string path, Value body, string? traceParent = null) => Encode(id, "path", path, 0, body, traceParent);

    /// <summary>The cancel of request <paramref name="id"/>, sent after it on the same socket.</summary>
    public static byte[] Cancel(long id)
    {
        var writer = JsonScratch.Start(out var buffer);
        writer.WriteStartObject();
        writer.WriteNumber("id", id);
        writer.WriteBoolean(CancelField, true);
        writer.WriteEndObject();
        writer.Flush();
        var bytes = buffer.WrittenSpan.ToArray();
        JsonScratch.Done(buffer);
        return bytes;
    }

    /// <summary>The member that makes a message a cancel of the request with its id.</summary>
    public const string CancelField = "cancel";

    /// <summary>One encoded answer.</summary>
    /// <exception cref="CohortException"><c>bad_json</c> when the body cannot be encoded, <c>too_large</c> past <see cref="MaxMessageBytes"/>.</exception>
    public static byte[] Answer(long id, int status, Value body) => Encode(id, null, null, status, body, null);

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
                throw new CohortException(ErrorCodes.TooLarge, $"A message frame exceeded {MaxFrameBytes} bytes.", isTransient: false);
            }

            if (result.EndOfMessage)
            {
                return true;
            }
        }
    }

    /// <summary>
    /// The messages of a frame. A frame that is not a JSON array is refused whole (<c>bad_json</c>); within a well-formed
    /// array, a message whose text cannot be read (invalid UTF-8, a lone surrogate, a number out of range) comes back as
    /// a <see cref="FrameMessage"/> with its error, so that it alone is answered with a problem.
    /// </summary>
    public static IReadOnlyList<FrameMessage> Messages(ArrayBufferWriter<byte> frame)
    {
        Value parsed;
        try
        {
            parsed = ValueJson.Parse(frame.WrittenSpan);
        }
        catch (CohortException)
        {
            // Rare: find the message at fault, so that the others still run.
            return EachMessage(frame.WrittenSpan);
        }

        return parsed.Kind == ValueKind.List
            ? [.. parsed.AsList().Select(m => new FrameMessage(m))]
            : throw NotAnArray();
    }

    private static List<FrameMessage> EachMessage(ReadOnlySpan<byte> frame)
    {
        var messages = new List<FrameMessage>();
        var reader = new Utf8JsonReader(frame, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            {
                throw NotAnArray();
            }

            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                var message = frame[start..(int)reader.BytesConsumed];
                try
                {
                    messages.Add(new FrameMessage(ValueJson.Parse(message)));
                }
                catch (CohortException e)
                {
                    messages.Add(new FrameMessage(Value.Null, IdOf(message), e));
                }
            }

            if (reader.TokenType != JsonTokenType.EndArray || reader.Read())
            {
                throw new CohortException(ErrorCodes.BadJson, "A message frame must hold one JSON array and nothing after it.", isTransient: false);
            }
        }
        catch (JsonException e)
        {
            throw new CohortException(ErrorCodes.BadJson, $"Malformed message frame: {e.Message}", isTransient: false, e);
        }

        return messages;
    }

    // The "id" member of a message that could not be parsed as a whole, read without decoding any string.
    private static long? IdOf(ReadOnlySpan<byte> message)
    {
        var reader = new Utf8JsonReader(message);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isId = reader.ValueTextEquals("id"u8);
            reader.Read();
            if (isId)
            {
                return reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var id) ? id : null;
            }

            reader.Skip();
        }

        return null;
    }

    private static CohortException NotAnArray() => new(ErrorCodes.BadJson, "A message frame must be a JSON array.", isTransient: false);

    /// <summary>
    /// Sends what <paramref name="queue"/> holds until it completes: every message waiting goes into the next frame (up
    /// to <see cref="SoftFrameBytes"/>); a message whose <paramref name="wanted"/> says no (its sender gave up) is dropped.
    /// </summary>
    public static async Task SendLoopAsync(WebSocket socket, ChannelReader<(long Id, byte[] Bytes)> queue, Func<long, bool> wanted, CancellationToken cancellationToken)
    {
        var frame = new ArrayBufferWriter<byte>(64 * 1024);
        while (await queue.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            frame.ResetWrittenCount();
            frame.Write("["u8);
            var count = 0;
            while (frame.WrittenCount < SoftFrameBytes && queue.TryRead(out var message))
            {
                if (!wanted(message.Id))
                {
                    continue;
                }

                if (count++ > 0)
                {
                    frame.Write(","u8);
                }

                frame.Write(message.Bytes);
            }

            if (count == 0)
            {
                continue;
            }

            frame.Write("]"u8);
            await socket.SendAsync(frame.WrittenMemory, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        }
    }

    private static byte[] Encode(long id, string? textName, string? text, int status, Value body, string? traceParent)
    {
        var writer = JsonScratch.Start(out var buffer);
        try
        {
            writer.WriteStartObject();
            writer.WriteNumber("id", id);
            if (textName is not null)
            {
                writer.WriteString(textName, text);
            }
            else
            {
                writer.WriteNumber("status", status);
            }

            if (traceParent is not null)
            {
                writer.WriteString(Core.Diagnostics.CohortTelemetry.TraceParentField, traceParent);
            }

            writer.WritePropertyName("body");
            ValueJson.Write(writer, body);
            writer.WriteEndObject();
            writer.Flush();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // Text that is not valid UTF-16 (a lone surrogate) and the like; the writer is reset on next use.
            throw new CohortException(ErrorCodes.BadJson, $"The message cannot be encoded as JSON: {e.Message}", isTransient: false);
        }

        var size = buffer.WrittenCount;
        var bytes = size > MaxMessageBytes ? null : buffer.WrittenSpan.ToArray();
        JsonScratch.Done(buffer);
        return bytes ?? throw new CohortException(ErrorCodes.TooLarge, $"The message has {size} bytes, more than {MaxMessageBytes}.", isTransient: false);
    }
}
