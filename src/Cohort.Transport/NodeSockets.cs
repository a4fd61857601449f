using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Threading.Channels;
using Cohort.Coordination;
using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Transport;

/// <summary>
/// The node-to-node protocol over one WebSocket per destination node (<c>GET /internal/ws</c>, see
/// <see cref="MessageFrames"/>): requests of many transactions share frames both ways, and each message skips the HTTP
/// request machinery of both sides. The socket opens on first use and again after it breaks; a request in flight when it
/// breaks fails as <c>unavailable</c> (it may or may not have been acted on, as with a lost HTTP connection). Pings
/// every <see cref="MessageFrames.KeepAliveInterval"/> unanswered for <see cref="MessageFrames.KeepAliveTimeout"/>
/// (a frozen or cut-off peer) break it too. A request its caller gives up on (cancelled, or unanswered past the timeout)
/// is dropped from the queue when still unsent, and otherwise followed by a cancel message, so the other node stops the
/// work (a long SQL statement) as it would for an aborted HTTP request. A node with a route in <c>routes</c> is dialled there rather than at its name;
/// with <c>tls</c> the sockets are wss, the peer's certificate checked against it.
/// </summary>
internal sealed class NodeSockets(string? authToken, TimeSpan timeout, PeerRoutes routes, TlsTrust? tls = null) : INodeMessages, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _sync = new();
    private bool _disposed;

    public ValueTask<Value> PostAsync(string node, string path, Value body, CancellationToken cancellationToken) =>
        PostAsync(node, path, body, static answer => answer, cancellationToken);

    public ValueTask<T> PostAsync<T>(string node, string path, Value body, Func<Value, T> read, CancellationToken cancellationToken)
    {
        var session = Current(node);

        // Connected (every message but a socket's first): one async layer, the request's own.
        return session.Connected.IsCompletedSuccessfully
            ? session.SendAsync(path, body, read, cancellationToken)
            : ConnectThenPostAsync(session, path, body, read, cancellationToken);
    }

    private static async ValueTask<T> ConnectThenPostAsync<T>(Session session, string path, Value body, Func<Value, T> read, CancellationToken cancellationToken)
    {
        try
        {
            await session.Connected.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            session.Close(e);
            throw session.ConnectFailure(e);
        }

        return await session.SendAsync(path, body, read, cancellationToken).ConfigureAwait(false);
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
            if (_disposed)
            {
                throw new CohortException(ErrorCodes.Disposed, "The node is shutting down.", isTransient: true);
            }

            if (_sessions.TryGetValue(node, out session) && !session.IsClosed)
            {
                return session;
            }

            session = new Session(node, routes.Dial(node), authToken, timeout, tls);
            _sessions[node] = session;
            return session;
        }
    }

    /// <summary>One socket to one node, with the requests sent on it that wait for an answer.</summary>
    private sealed class Session : IAsyncDisposable
    {
        private readonly string _node;
        private readonly string _dial;
        private readonly TimeSpan _timeout;
        private readonly TlsTrust? _tls;
        private readonly ClientWebSocket _socket = new();
        private readonly CancellationTokenSource _closing = new();
        private readonly ConcurrentDictionary<long, PendingRequest> _pending = new();
        private readonly Channel<(long Id, byte[] Bytes)> _outgoing =
            Channel.CreateUnbounded<(long, byte[])>(new UnboundedChannelOptions { SingleReader = true });

        private readonly ITimer _sweep;
        private long _nextId;
        private int _closed;
        private Task _loops = Task.CompletedTask;

        // timeout bounds the connect and each request's wait for its answer.
        public Session(string node, string dial, string? authToken, TimeSpan timeout, TlsTrust? tls)
        {
            _node = node;
            _dial = dial;
            _timeout = timeout;
            _tls = tls;
            tls?.Apply(_socket.Options);
            if (authToken is not null)
            {
                _socket.Options.SetRequestHeader("Authorization", "Bearer " + authToken);
            }

            _socket.Options.KeepAliveInterval = MessageFrames.KeepAliveInterval;
            _socket.Options.KeepAliveTimeout = MessageFrames.KeepAliveTimeout;
            _socket.Options.CollectHttpResponseDetails = true;

            // A request's wait for its answer is bounded by a sweep over the pending requests rather than a timer each
            // (every protocol message has one): it fails late by at most one period.
            var period = TimeSpan.FromMilliseconds(Math.Clamp(timeout.TotalMilliseconds / 8, 10, 250));
            _sweep = TimeProvider.System.CreateTimer(static state => ((Session)state!).FailOverdue(), this, period, period);
            Connected = ConnectAsync();
        }

        public Task Connected { get; }

        public bool IsClosed => Volatile.Read(ref _closed) != 0;

        public async ValueTask<T> SendAsync<T>(string path, Value body, Func<Value, T> read, CancellationToken cancellationToken)
        {
            var id = Interlocked.Increment(ref _nextId);

            // Encoded here, so that a body that cannot be sent fails this request alone (it was never sent).
            var bytes = MessageFrames.Request(id, path, body, Core.Diagnostics.CohortTelemetry.CurrentTraceParent());
            var request = new PendingRequest(this, id, path, Environment.TickCount64 + (long)_timeout.TotalMilliseconds);
            _pending[id] = request;

            // Close fails everything pending; a request registered after it ran is failed here.
            if (IsClosed || !_outgoing.Writer.TryWrite((id, bytes)))
            {
                _pending.TryRemove(id, out _);
                throw Lost("the connection was closed");
            }

            // Cancelled or overdue, the request leaves the pending map, so an unsent one is dropped from the queue
            // (SendLoopAsync asks whether it is still wanted) and a late answer is ignored.
            var registration = cancellationToken.CanBeCanceled
                ? cancellationToken.UnsafeRegister(static (state, token) => ((PendingRequest)state!).Cancel(token), request)
                : default;
            int status;
            Value result;
            try
            {
                (status, result) = await request.Task.ConfigureAwait(false);
            }
            finally
            {
                await registration.DisposeAsync().ConfigureAwait(false);
            }

            return status < 400 ? read(result) : throw Problem.Read(status, result, $"Node {_node} answered {status} to /{path}.").ToException();
        }

        /// <summary>The error for a socket that could not be opened: 401 stays <c>unauthorized</c>, the rest is <c>unavailable</c>.</summary>
        public CohortException ConnectFailure(Exception e) => _socket.HttpStatusCode == HttpStatusCode.Unauthorized
            ? new CohortException(ErrorCodes.Unauthorized, $"Node {_node} refused this node's bearer token (401 on /internal/ws); the nodes must share --auth-token.", isTransient: false)
            : new CohortException(ErrorCodes.Unavailable, $"Node {_node} is unreachable: {_tls?.Explain(e, Endpoint) ?? e.Message}", isTransient: true);

        private Uri Endpoint => new UriBuilder(NodeAddress.BaseUri(_dial, _tls is not null)) { Scheme = _tls is null ? "ws" : "wss", Path = "internal/ws" }.Uri;

        public void Close(Exception reason)
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0)
            {
                return;
            }

            _outgoing.Writer.TryComplete();
            _sweep.Dispose();
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
            try
            {
                await Connected.ConfigureAwait(false);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException or HttpRequestException)
            {
                // It never opened.
            }

            await _loops.ConfigureAwait(false);
            _socket.Dispose();
            _closing.Dispose();
        }

        private async Task ConnectAsync()
        {
            _closing.CancelAfter(_timeout);
            await _socket.ConnectAsync(Endpoint, _closing.Token).ConfigureAwait(false);
            _closing.CancelAfter(Timeout.InfiniteTimeSpan);
            _loops = Task.WhenAll(Task.Run(ReceiveLoopAsync), Task.Run(SendLoopAsync));
        }

        // Both loops end the session on any failure: a loop that died alone would leave requests unanswered.
        private async Task SendLoopAsync()
        {
            Exception reason = new IOException($"the connection to {_node} was closed");
            try
            {
                await MessageFrames.SendLoopAsync(_socket, _outgoing.Reader, id => id == MessageFrames.ControlId || _pending.ContainsKey(id), _closing.Token).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                reason = e;
            }

            Close(reason);
        }

        private async Task ReceiveLoopAsync()
        {
            var frame = new ArrayBufferWriter<byte>(64 * 1024);
            Exception reason = new IOException($"node {_node} closed the connection");
            try
            {
                while (await MessageFrames.ReadAsync(_socket, frame, _closing.Token).ConfigureAwait(false))
                {
                    foreach (var (message, badId, error) in MessageFrames.Messages(frame))
                    {
                        if (error is not null)
                        {
                            // An answer that cannot be read fails its request alone (none of ours is such an answer).
                            if (badId is { } failed && _pending.TryRemove(failed, out var unreadable))
                            {
                                unreadable.TrySetException(error);
                            }

                            continue;
                        }

                        var id = WireFields.Long(message, "id");
                        var status = (int)WireFields.Long(message, "status");
                        var body = WireFields.Field(message, "body");
                        if (_pending.TryRemove(id, out var answer))
                        {
                            answer.TrySetResult((status, body));
                        }
                    }
                }
            }
            catch (Exception e)
            {
                reason = e;
            }

            Close(reason);
        }

        private void FailOverdue()
        {
            var now = Environment.TickCount64;
            foreach (var (id, request) in _pending)
            {
                if (request.Deadline <= now && _pending.TryRemove(id, out _))
                {
                    request.TrySetException(new TimeoutException($"Node {_node} did not answer /{request.Path} in time."));
                    SendCancel(id);
                }
            }
        }

        // Tells the other node that nobody waits for request id any more. Unsent, the request itself is dropped from the
        // queue and the cancel names an id the other node never saw, which it ignores.
        private void SendCancel(long id) => _outgoing.Writer.TryWrite((MessageFrames.ControlId, MessageFrames.Cancel(id)));

        private CohortException Lost(string reason) => new(
            ErrorCodes.Unavailable,
            $"The connection to node {_node} was lost ({reason}); the message may or may not have been acted on.",
            isTransient: true);

        /// <summary>A request waiting for its answer: the answer, a failure, a timeout or the caller's cancellation completes it.</summary>
        private sealed class PendingRequest(Session session, long id, string path, long deadline)
            : TaskCompletionSource<(int Status, Value Body)>(TaskCreationOptions.RunContinuationsAsynchronously)
        {
            public string Path => path;

            /// <summary>When the sweep fails it (<see cref="Environment.TickCount64"/>).</summary>
            public long Deadline => deadline;

            public void Cancel(CancellationToken token)
            {
                if (session._pending.TryRemove(id, out _))
                {
                    TrySetCanceled(token);
                    session.SendCancel(id);
                }
            }
        }
    }
}
