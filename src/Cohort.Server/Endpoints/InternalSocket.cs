using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using Cohort.Core;
using Cohort.Server.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace Cohort.Server.Endpoints;

/// <summary>
/// The serving side of the node-to-node socket (<c>GET /internal/ws</c>, framing in <see cref="MessageFrames"/>): every
/// request in a frame runs at once with the same handler as its <c>POST /internal/…</c> endpoint, and answers go back as
/// they finish, many to a frame. The bearer token is checked on the upgrade request like any other. When the socket
/// closes, requests still running are cancelled as an aborted HTTP request would be.
/// </summary>
internal static class InternalSocket
{
    public static async Task AcceptAsync(HttpContext context, IReadOnlyDictionary<string, Func<Value, CancellationToken, Task<Value>>> handlers, CohortNode node)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            throw new CohortException(ErrorCodes.BadJson, "/internal/ws takes WebSocket upgrade requests only.", isTransient: false);
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        var stopping = context.RequestServices.GetService(typeof(IHostApplicationLifetime)) is IHostApplicationLifetime lifetime ? lifetime.ApplicationStopping : CancellationToken.None;
        using var closing = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        var answers = Channel.CreateUnbounded<(long Id, int Status, Value Body)>(new UnboundedChannelOptions { SingleReader = true });
        var sending = SendAsync(socket, answers.Reader, closing);
        var frame = new ArrayBufferWriter<byte>(64 * 1024);
        try
        {
            while (await MessageFrames.ReadAsync(socket, frame, closing.Token).ConfigureAwait(false))
            {
                foreach (var message in MessageFrames.Messages(frame))
                {
                    _ = HandleAsync(message, handlers, answers.Writer, node, closing.Token);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or CohortException)
        {
            // The other node went away, this one is stopping, or the frame was not ours: drop the connection.
        }
        finally
        {
            await closing.CancelAsync().ConfigureAwait(false);
            answers.Writer.TryComplete();
            await sending.ConfigureAwait(false);
        }
    }

    private static async Task HandleAsync(
        Value message, IReadOnlyDictionary<string, Func<Value, CancellationToken, Task<Value>>> handlers, ChannelWriter<(long, int, Value)> answers, CohortNode node, CancellationToken cancellationToken)
    {
        if (message.Kind != ValueKind.Map || !message.TryGetField("id", out var idField) || !idField.TryGetInt64(out var id))
        {
            return;
        }

        (long, int, Value) answer;
        try
        {
            var path = WireFormat.Str(message, "path");
            var handler = handlers.GetValueOrDefault(path)
                ?? throw new CohortException("not_found", $"No protocol request '{path}'.", isTransient: false);
            answer = (id, 200, await handler(WireFormat.Field(message, "body"), cancellationToken).ConfigureAwait(false));
        }
        catch (Exception e)
        {
            var (code, detail, status) = ProblemDetails.Of(e);
            if (status == 500)
            {
                Log.RequestFailed(node.Logger, "WS", "/internal/ws", e);
            }

            answer = (id, status, ProblemDetails.Body(code, detail, status));
        }

        answers.TryWrite(answer);
    }

    private static async Task SendAsync(WebSocket socket, ChannelReader<(long Id, int Status, Value Body)> answers, CancellationTokenSource closing)
    {
        try
        {
            await MessageFrames.SendLoopAsync(socket, answers, WriteAnswer, closing.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The receive loop sees the same broken socket and ends the connection.
            await closing.CancelAsync().ConfigureAwait(false);
        }
    }

    private static void WriteAnswer(Utf8JsonWriter writer, (long Id, int Status, Value Body) answer)
    {
        writer.WriteStartObject();
        writer.WriteNumber("id", answer.Id);
        writer.WriteNumber("status", answer.Status);
        writer.WritePropertyName("body");
        ValueJson.Write(writer, answer.Body);
        writer.WriteEndObject();
    }
}
