using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using Cohort.Coordination;
using Cohort.Core;

namespace Cohort.Server.Http;

/// <summary>
/// The node-to-node protocol over one WebSocket per destination node (<c>GET /internal/ws</c>, see
/// <see cref="MessageFrames"/>): requests of many transactions share frames both ways, and each message skips the HTTP
/// request machinery of both sides. The socket opens on first use and again after it breaks; a request in flight when it
/// breaks fails as <c>unavailable</c> (it may or may not have been acted on, as with a lost HTTP connection).
/// </summary>
internal sealed class NodeSockets(string? authToken, TimeSpan timeout) : INodeMessages, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _sync = new();
    private bool _disposed;

    public async ValueTask<Value> PostAsync(string node, string path, Value body, CancellationToken cancellationToken)
    {
        var session = Current(node);
        try
        {
            await session.Connected.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or HttpRequestException or IOException or TimeoutException)
        {
            session.Close(e);
            throw new CohortException(CoordinationErrorCodes.Unavailable, $"Node {node} is unreachable: {e.Message}", isTransient: true);
        }

        return await session.SendAsync(path, body, timeout, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        lock (_sync)
        {
            _disposed = true;
        }

        foreach (var session in _sessions.Values)
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }
    }

    private Session Current(string node)
    {
        if (_sessions.TryGetValue(node, out var session) && !session.IsClosed)
        {
            return session;
        }

        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_sessions.TryGetValue(node, out session) && !session.IsClosed)
            {
                return session;
            }

            session = new Session(node, authToken);
            _sessions[node] = session;
            return session;
        }
    }

    /// <summary>One socket to one node, with the requests sent on it that wait for an answer.</summary>
    private sealed class Session : IAsyncDisposable
    {
        private readonly string _node;
        private readonly ClientWebSocket _socket = new();
        private readonly CancellationTokenSource _closing = new();
        private readonly ConcurrentDictionary<long, TaskCompletionSource<(int Status, Value Body)>> _pending = new();
        private readonly Channel<(long Id, string Path, Value Body)> _outgoing =
            Channel.CreateUnbounded<(long, string, Value)>(new UnboundedChannelOptions { SingleReader = true });

        private long _nextId;
        private volatile bool _closed;
        private Task _loops = Task.CompletedTask;

        public Session(string node, string? authToken)
        {
            _node = node;
            if (authToken is not null)
            {
                _socket.Options.SetRequestHeader("Authorization", "Bearer " + authToken);
            }

            _socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(15);
            Connected = ConnectAsync();
        }

        public Task Connected { get; }

        public bool IsClosed => _closed;

        public async ValueTask<Value> SendAsync(string path, Value body, TimeSpan timeout, CancellationToken cancellationToken)
        {
            var id = Interlocked.Increment(ref _nextId);
            var answer = new TaskCompletionSource<(int, Value)>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending[id] = answer;

            // Close fails everything pending; a request registered after it ran is failed here.
            if (_closed || !_outgoing.Writer.TryWrite((id, path, body)))
            {
                _pending.TryRemove(id, out _);
                throw Lost("the connection was closed");
            }

            int status;
            Value result;
            try
            {
                (status, result) = await answer.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                _pending.TryRemove(id, out _);
                throw new TimeoutException($"Node {_node} did not answer /{path} in time.");
            }
            catch (OperationCanceledException)
            {
                _pending.TryRemove(id, out _);
                throw;
            }

            return status < 400 ? result : throw ProblemDetails.ToException(status, result, $"Node {_node} answered {status} to /{path}.");
        }

        public void Close(Exception reason)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            _outgoing.Writer.TryComplete();
            try
            {
                _closing.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Disposed meanwhile.
            }

            _socket.Abort();
            foreach (var id in _pending.Keys)
            {
                if (_pending.TryRemove(id, out var answer))
                {
                    answer.TrySetException(Lost(reason.Message));
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            Close(new ObjectDisposedException(nameof(NodeSockets), "The node is shutting down."));
            await _loops.ConfigureAwait(false);
            _socket.Dispose();
            _closing.Dispose();
        }

        private async Task ConnectAsync()
        {
            var uri = new UriBuilder(Endpoint.BaseUri(_node)) { Scheme = "ws", Path = "internal/ws" }.Uri;
            await _socket.ConnectAsync(uri, _closing.Token).ConfigureAwait(false);
            _loops = Task.WhenAll(Task.Run(ReceiveLoopAsync), Task.Run(SendLoopAsync));
        }

        private async Task SendLoopAsync()
        {
            try
            {
                await MessageFrames.SendLoopAsync(_socket, _outgoing.Reader, WriteRequest, _closing.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
            {
                Close(e);
            }
        }

        private async Task ReceiveLoopAsync()
        {
            var frame = new ArrayBufferWriter<byte>(64 * 1024);
            Exception reason = new IOException($"node {_node} closed the connection");
            try
            {
                while (await MessageFrames.ReadAsync(_socket, frame, _closing.Token).ConfigureAwait(false))
                {
                    foreach (var message in MessageFrames.Messages(frame))
                    {
                        if (_pending.TryRemove(WireFormat.Long(message, "id"), out var answer))
                        {
                            answer.TrySetResult(((int)WireFormat.Long(message, "status"), WireFormat.Field(message, "body")));
                        }
                    }
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or CohortException or ObjectDisposedException)
            {
                reason = e;
            }

            Close(reason);
        }

        private static void WriteRequest(Utf8JsonWriter writer, (long Id, string Path, Value Body) request)
        {
            writer.WriteStartObject();
            writer.WriteNumber("id", request.Id);
            writer.WriteString("path", request.Path);
            writer.WritePropertyName("body");
            ValueJson.Write(writer, request.Body);
            writer.WriteEndObject();
        }

        private CohortException Lost(string reason) => new(
            CoordinationErrorCodes.Unavailable,
            $"The connection to node {_node} was lost ({reason}); the message may or may not have been acted on.",
            isTransient: true);
    }
}
