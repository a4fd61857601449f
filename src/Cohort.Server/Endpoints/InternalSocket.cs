using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Threading.Channels;
using Cohort.Core;
using Cohort.Protocol;
using Cohort.Transport;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace Cohort.Server.Endpoints;

/// <summary>
/// The serving side of the node-to-node socket (<c>GET /internal/ws</c>, framing in <see cref="MessageFrames"/>): every
/// request in a frame runs on the thread pool with the same handler as its <c>POST /internal/…</c> endpoint (at most
/// <see cref="MaxInFlight"/> at once per socket) — except a protocol step alone in its frame, which starts on the
/// receive loop (<c>RunsBriefly</c>) — and answers go back as they finish, many to a frame. The bearer token
/// is checked on the upgrade request like any other. When the node stops, it reads no more requests but lets those
/// running finish and sends their answers, as Kestrel does for HTTP requests; when the socket breaks, the requests still
/// running are cancelled, as an aborted HTTP request would be, and so is one request whose sender cancels it.
/// </summary>
internal static class InternalSocket
{
    /// <summary>Requests of one socket running at once; reading waits while this many are.</summary>
    public const int MaxInFlight = 1024;

    public static async Task AcceptAsync(HttpContext context, IReadOnlyDictionary<string, Func<Value, CancellationToken, Task<Value>>> handlers, CohortNode node)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            throw new CohortException(ErrorCodes.BadJson, "/internal/ws takes WebSocket upgrade requests only.", isTransient: false);
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        var stopping = context.RequestServices.GetService(typeof(IHostApplicationLifetime)) is IHostApplicationLifetime lifetime ? lifetime.ApplicationStopping : CancellationToken.None;

        // Handlers are cancelled when the connection is lost; reading also stops when the node stops.
        using var lost = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(lost.Token, stopping);
        using var gate = new SemaphoreSlim(MaxInFlight);
        var running = new ConcurrentDictionary<Task, byte>();

        // Each running request's own cancellation, by id, for the sender's cancel messages.
        var cancels = new ConcurrentDictionary<long, CancellationTokenSource>();
        var answers = Channel.CreateUnbounded<(long Id, byte[] Bytes)>(new UnboundedChannelOptions { SingleReader = true });
        var sending = SendAsync(socket, answers.Reader, lost);
        var frame = new ArrayBufferWriter<byte>(64 * 1024);
        try
        {
            while (await MessageFrames.ReadAsync(socket, frame, reading.Token).ConfigureAwait(false))
            {
                var messages = MessageFrames.Messages(frame);
                foreach (var message in messages)
                {
                    if (message.Error is { } error)
                    {
                        // Refused as the same request over HTTP would be (a message without a readable id has nobody
                        // to answer: a node sends none such).
                        if (message.Id is { } badId)
                        {
                            var problem = Problem.Of(error);
                            answers.Writer.TryWrite((badId, MessageFrames.Answer(badId, problem.Status, problem.ToValue())));
                        }

                        continue;
                    }

                    if (IsCancel(message.Message, out var cancelled))
                    {
                        Cancel(cancels, cancelled);
                        continue;
                    }

                    await gate.WaitAsync(reading.Token).ConfigureAwait(false);

                    // Registered before the handler starts, so that a cancel in the next frame finds it.
                    var own = CancellationTokenSource.CreateLinkedTokenSource(lost.Token);
                    var id = message.Message.TryGetField("id", out var idField) && idField.TryGetInt64(out var known) ? known : (long?)null;
                    if (id is { } key && !cancels.TryAdd(key, own))
                    {
                        // A second request under a running one's id (no node sends that): it cannot be cancelled alone.
                        id = null;
                    }

                    var task = HandleAsync(message, handlers, answers.Writer, node, gate, own, id, cancels, inline: messages.Count == 1 && RunsBriefly(message.Message));
                    running.TryAdd(task, 0);
                    _ = task.ContinueWith(t => running.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or CohortException)
        {
            // The other node went away, this one is stopping, or the frame was not ours: read no more.
        }

        if (!stopping.IsCancellationRequested || socket.State != WebSocketState.Open)
        {
            // Not a graceful stop: nobody will hear the answers.
            await lost.CancelAsync().ConfigureAwait(false);
        }

        await Task.WhenAll(running.Keys).ConfigureAwait(false);
        answers.Writer.TryComplete();
        await sending.ConfigureAwait(false);
    }

    private static async Task HandleAsync(
        FrameMessage frameMessage,
        IReadOnlyDictionary<string, Func<Value, CancellationToken, Task<Value>>> handlers,
        ChannelWriter<(long, byte[])> answers,
        CohortNode node,
        SemaphoreSlim gate,
        CancellationTokenSource own,
        long? registered,
        ConcurrentDictionary<long, CancellationTokenSource> cancels,
        bool inline)
    {
        if (!inline)
        {
            // Off the receive loop: a handler that works synchronously (a SQL statement) must not hold up the next
            // requests, nor the other requests of its frame.
            await Task.Yield();
        }

        var cancellationToken = own.Token;
        var message = frameMessage.Message;
        try
        {
            if (message.Kind != ValueKind.Map || !message.TryGetField("id", out var idField) || !idField.TryGetInt64(out var id))
            {
                return;
            }

            Value body;
            var status = 200;
            var traced = WireFields.OptStr(message, "path") is { } name and not "internal/replicate" ? name : null;
            using var activity = traced is null ? null : Core.Diagnostics.CohortTelemetry.Start(
                traced,
                System.Diagnostics.ActivityKind.Server,
                WireFields.OptStr(message, Core.Diagnostics.CohortTelemetry.TraceParentField));
            activity?.SetTag(Core.Diagnostics.CohortTelemetry.NodeAttribute, node.Address);
            try
            {
                var path = WireFields.Str(message, "path");
                var handler = handlers.GetValueOrDefault(path)
                    ?? throw new CohortException(ErrorCodes.NotFound, $"No protocol request '{path}'.", isTransient: false);
                var request = WireFields.Field(message, "body");
                body = request.Kind == ValueKind.Map
                    ? await handler(request, cancellationToken).ConfigureAwait(false)
                    : throw new CohortException(ErrorCodes.BadJson, $"The body of '{path}' must be a JSON object, not {NodeMiddleware.KindName(request)}.", isTransient: false);
            }
            catch (Exception e)
            {
                Core.Diagnostics.CohortTelemetry.Fail(activity, e);
                (body, status) = ProblemAnswer(e, node);
            }

            byte[] bytes;
            try
            {
                bytes = MessageFrames.Answer(id, status, body);
            }
            catch (CohortException e)
            {
                // The answer cannot be sent (not encodable, or too large): say so for this request alone.
                (body, status) = ProblemAnswer(e, node);
                bytes = MessageFrames.Answer(id, status, body);
            }

            answers.TryWrite((id, bytes));
        }
        finally
        {
            if (registered is { } key)
            {
                cancels.TryRemove(key, out _);
            }

            own.Dispose();
            gate.Release();
        }
    }

    // A request whose handler runs on the receive loop up to its first wait, when it came alone in its frame (at low
    // load; under load frames carry many and each goes to the pool as before): a protocol step that does no long
    // synchronous work. Saves a thread hand-off per message. A SQL resource's statements may run long and must not hold
    // up the cancel messages behind them, so they always leave the loop (phase two only installs what was prepared).
    private static bool RunsBriefly(Value message) =>
        message.Kind == ValueKind.Map
        && message.TryGetField("path", out var path) && path.Kind == ValueKind.String
        && path.AsString() is "internal/batch" or "internal/prepare" or "internal/commit" or "internal/commit-many" or "internal/abort"
        && message.TryGetField("body", out var body) && body.Kind == ValueKind.Map
        && !(body.TryGetField("resource", out var resource) && resource.Kind == ValueKind.String && resource.AsString().StartsWith(ResourceNames.SqlPrefix, StringComparison.Ordinal));

    private static bool IsCancel(Value message, out long id)
    {
        id = 0;
        return message.Kind == ValueKind.Map
            && message.TryGetField(MessageFrames.CancelField, out var cancel) && cancel.Kind == ValueKind.Bool && cancel.AsBool()
            && message.TryGetField("id", out var idField) && idField.TryGetInt64(out id);
    }

    // A cancel for a request that already finished, or never came, finds nothing: that is the normal race.
    private static void Cancel(ConcurrentDictionary<long, CancellationTokenSource> cancels, long id)
    {
        if (cancels.TryGetValue(id, out var own))
        {
            try
            {
                own.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // It finished meanwhile.
            }
        }
    }

    private static (Value Body, int Status) ProblemAnswer(Exception e, CohortNode node)
    {
        var problem = Problem.Of(e);
        if (problem.Status == 500)
        {
            Log.RequestFailed(node.Logger, "WS", "/internal/ws", e);
        }

        return (problem.ToValue(), problem.Status);
    }

    private static async Task SendAsync(WebSocket socket, ChannelReader<(long Id, byte[] Bytes)> answers, CancellationTokenSource lost)
    {
        try
        {
            await MessageFrames.SendLoopAsync(socket, answers, static _ => true, lost.Token).ConfigureAwait(false);
            if (socket.State == WebSocketState.Open)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "node stopping", lost.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The socket broke: the requests still running cannot be answered.
            await lost.CancelAsync().ConfigureAwait(false);
        }
    }
}
