using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Cohort.IntegrationTests.Harness;

/// <summary>
/// A TCP proxy the test owns, for network faults without touching the host firewall: it listens on a free 127.0.0.1
/// port and forwards every connection to <c>host:port</c>, and can be switched while it runs.
/// <list type="bullet">
/// <item><see cref="Cut"/>: a partition. Existing connections are reset; new ones are accepted (the client's connect
/// succeeds) and then black-holed — nothing is read from them or sent to them, and no connection to the target is made —
/// until <see cref="Heal"/>, when they are connected through and their bytes flow as TCP would deliver them after
/// retransmission.</item>
/// <item><see cref="Block"/>: a one-way partition; the bytes of one direction are held (not read, not forwarded) while
/// the other direction flows, on existing and new connections alike.</item>
/// <item><see cref="Delay"/>: every chunk is held this long before it is forwarded, in both directions.</item>
/// </list>
/// Bytes are held, never dropped: a stream is never corrupted, as TCP would not corrupt it either. Every loop ends on
/// <see cref="DisposeAsync"/>, which closes every socket (the listener, each client and each target connection).
/// </summary>
internal sealed class TcpProxy : IAsyncDisposable
{
    private const int ChunkSize = 16 * 1024;
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan DisposeTimeout = TimeSpan.FromSeconds(10);

    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Link, byte> _links = new();
    private readonly Lock _gate = new();
    private readonly Task _accepting;

    // Guarded by _gate; every change completes _changed and replaces it, waking whoever waits on the state.
    private bool _cut;
    private Direction _blocked = Direction.None;
    private TimeSpan _delay = TimeSpan.Zero;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _accepted;
    private int _disposed;

    private TcpProxy(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;

        // Port 0: the OS picks a free port and this listener holds it from then on (no window for another to take it).
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = Task.Run(AcceptLoopAsync);
    }

    /// <summary>A direction of the byte stream.</summary>
    [Flags]
    public enum Direction
    {
        /// <summary>Neither.</summary>
        None = 0,

        /// <summary>From the client that connected to the proxy, to the target.</summary>
        ClientToServer = 1,

        /// <summary>From the target back to the client.</summary>
        ServerToClient = 2,
    }

    /// <summary>The port the proxy listens on (127.0.0.1).</summary>
    public int Port { get; }

    /// <summary>Where to connect to reach the target through the proxy: <c>127.0.0.1:port</c>.</summary>
    public string Address => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The proxy's URL with <paramref name="scheme"/> (e.g. an etcd client URL).</summary>
    public string Url(string scheme = "http") => $"{scheme}://{Address}";

    /// <summary>Connections accepted so far.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Connections open now.</summary>
    public int Open => _links.Count;

    /// <summary>Whether the proxy is cut (<see cref="Cut"/> without <see cref="Heal"/> since).</summary>
    public bool IsCut
    {
        get
        {
            lock (_gate)
            {
                return _cut;
            }
        }
    }

    /// <summary>A proxy on a free 127.0.0.1 port to <paramref name="targetHost"/>:<paramref name="targetPort"/>, forwarding at once.</summary>
    public static TcpProxy Start(string targetHost, int targetPort)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(targetHost);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetPort);
        return new TcpProxy(targetHost, targetPort);
    }

    /// <summary>A proxy to the host and port of <paramref name="url"/> (<c>http://127.0.0.1:2379</c>).</summary>
    public static TcpProxy To(string url)
    {
        var uri = new Uri(url);
        return Start(uri.Host, uri.Port);
    }

    /// <summary>
    /// Partitions the target off: resets every open connection and black-holes new ones (accepted, never answered)
    /// until <see cref="Heal"/>.
    /// </summary>
    public void Cut()
    {
        Change(() => _cut = true);
        foreach (var link in _links.Keys)
        {
            link.Reset();
        }
    }

    /// <summary>Ends a <see cref="Cut"/> and a <see cref="Block"/>: new and held connections are forwarded again.</summary>
    public void Heal() => Change(() =>
    {
        _cut = false;
        _blocked = Direction.None;
    });

    /// <summary>
    /// One-way partition: the bytes of <paramref name="blocked"/> are held while the other direction flows
    /// (<see cref="Direction.None"/> lets both flow again).
    /// </summary>
    public void Block(Direction blocked) => Change(() => _blocked = blocked);

    /// <summary>Forwards only <paramref name="allowed"/>: the other direction is held (a one-way drop).</summary>
    public void ForwardOnly(Direction allowed) => Block(~allowed & (Direction.ClientToServer | Direction.ServerToClient));

    /// <summary>Holds each chunk <paramref name="delay"/> before forwarding it, in both directions (zero: no delay).</summary>
    public void Delay(TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        Change(() => _delay = delay);
    }

    public override string ToString() => $"proxy {Address} -> {_targetHost}:{_targetPort.ToString(CultureInfo.InvariantCulture)}";

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync();
        _listener.Stop();
        var links = _links.Keys.ToList();
        foreach (var link in links)
        {
            link.Close();
        }

        // Every loop watches _stop; the wait is bounded all the same.
        var all = Task.WhenAll([_accepting, .. links.Select(l => l.Run)]);
        await Task.WhenAny(all, Task.Delay(DisposeTimeout));
        _stop.Dispose();
    }

    private void Change(Action change)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            change();
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    /// <summary>Waits until the proxy lets <paramref name="direction"/> flow (<see cref="Direction.None"/>: until it is not cut); returns the delay to apply.</summary>
    private async Task<TimeSpan> OpenAsync(Direction direction, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (!_cut && (_blocked & direction) == 0)
                {
                    return _delay;
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(cancellationToken);
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                // A connection that failed while being accepted: go on accepting.
                continue;
            }

            Interlocked.Increment(ref _accepted);
            var link = new Link(this, client);
            _links[link] = 0;
            link.Start();
        }
    }

    /// <summary>One client connection and, once connected through, its connection to the target.</summary>
    private sealed class Link(TcpProxy proxy, Socket client)
    {
        private readonly CancellationTokenSource _scope = CancellationTokenSource.CreateLinkedTokenSource(proxy._stop.Token);
        private readonly Lock _sync = new();
        private Socket? _server;
        private bool _closed;

        public Task Run { get; private set; } = Task.CompletedTask;

        public void Start() => Run = Task.Run(RunAsync);

        /// <summary>Closes both sockets with a reset (linger 0), as a peer that lost the connection would see.</summary>
        public void Reset() => Close(reset: true);

        public void Close() => Close(reset: false);

        private async Task RunAsync()
        {
            try
            {
                // Black-holed while cut: accepted, but nothing read, answered or connected through.
                await proxy.OpenAsync(Direction.None, _scope.Token);
                var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                lock (_sync)
                {
                    if (_closed)
                    {
                        server.Dispose();
                        return;
                    }

                    _server = server;
                }

                using (var connect = CancellationTokenSource.CreateLinkedTokenSource(_scope.Token))
                {
                    connect.CancelAfter(ConnectTimeout);
                    await server.ConnectAsync(proxy._targetHost, proxy._targetPort, connect.Token);
                }

                client.NoDelay = true;
                var up = PumpAsync(client, server, Direction.ClientToServer);
                var down = PumpAsync(server, client, Direction.ServerToClient);

                // Either side failing ends the connection; one side ending cleanly only half-closes the other.
                var first = await Task.WhenAny(up, down);
                if (first.IsFaulted || first.IsCanceled)
                {
                    Close(reset: true);
                }

                try
                {
                    await Task.WhenAll(up, down);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or IOException)
                {
                    // Reported by the first failure above.
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or IOException)
            {
                // Cut, disposed, the target refused, or a socket broke: the connection ends.
            }
            finally
            {
                Close(reset: false);
                proxy._links.TryRemove(this, out _);
                _scope.Dispose();
            }
        }

        private async Task PumpAsync(Socket from, Socket to, Direction direction)
        {
            var buffer = new byte[ChunkSize];
            while (true)
            {
                // Held before reading too: a blocked direction reads nothing, so the sender's window fills as in TCP.
                await proxy.OpenAsync(direction, _scope.Token);
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _scope.Token);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                // A chunk read before a cut or block waits for the heal.
                var delay = await proxy.OpenAsync(direction, _scope.Token);
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, _scope.Token);
                    await proxy.OpenAsync(direction, _scope.Token);
                }

                var sent = 0;
                while (sent < read)
                {
                    sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, _scope.Token);
                }
            }
        }

        private void Close(bool reset)
        {
            Socket? server;
            lock (_sync)
            {
                if (_closed)
                {
                    return;
                }

                _closed = true;
                server = _server;
            }

            try
            {
                _scope.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }

            foreach (var socket in new[] { client, server })
            {
                if (socket is null)
                {
                    continue;
                }

                try
                {
                    if (reset)
                    {
                        socket.LingerState = new LingerOption(true, 0);
                    }

                    socket.Dispose();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                }
            }
        }
    }
}
