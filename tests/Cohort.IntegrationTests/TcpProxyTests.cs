using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Cohort.IntegrationTests.Harness;

namespace Cohort.IntegrationTests;

/// <summary>The test harness's <see cref="TcpProxy"/> against a local echo server: forwarding, delay, one-way block, cut, heal, disposal.</summary>
[Trait("Category", "Integration")]
public sealed class TcpProxyTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Forwards_Delays_HoldsOneWay_CutsAndHeals()
    {
        await using var echo = EchoServer.Start();
        await using var proxy = TcpProxy.Start("127.0.0.1", echo.Port);

        // Forwards both ways.
        using var first = await ConnectAsync(proxy.Port);
        Assert.Equal("hello", await RoundTripAsync(first, "hello", Patience));

        // Delay: each chunk is held that long, each way.
        proxy.Delay(TimeSpan.FromMilliseconds(300));
        var watch = Stopwatch.StartNew();
        Assert.Equal("slow", await RoundTripAsync(first, "slow", Patience));
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(550), $"the round trip took {watch.ElapsedMilliseconds} ms");
        proxy.Delay(TimeSpan.Zero);

        // One way: the request reaches the server, the answer is held until the heal (and then delivered, not lost).
        proxy.ForwardOnly(TcpProxy.Direction.ClientToServer);
        await SendAsync(first, "held");
        await Wait.UntilAsync(() => Task.FromResult(echo.Received.Contains("held", StringComparison.Ordinal)), Patience, "the server to receive the request");
        Assert.Null(await ReceiveAsync(first, 4, TimeSpan.FromMilliseconds(500)));
        proxy.Heal();
        Assert.Equal("held", await ReceiveAsync(first, 4, Patience));

        // Cut: the open connection is reset; a new one is accepted but never answered (and reaches no server).
        proxy.Cut();
        var reset = await Record.ExceptionAsync(async () =>
        {
            await SendAsync(first, "x");
            await ReceiveAsync(first, 1, TimeSpan.FromSeconds(2));
        });
        Assert.True(reset is IOException or SocketException, $"the open connection was not reset: {reset?.ToString() ?? "it stayed silent"}");
        var connectionsBefore = echo.Connections;
        using var during = await ConnectAsync(proxy.Port);
        await SendAsync(during, "blackhole");
        Assert.Null(await ReceiveAsync(during, 9, TimeSpan.FromMilliseconds(800)));
        Assert.Equal(connectionsBefore, echo.Connections);

        // Healed: the held connection goes through (its bytes delivered then), and new ones work.
        proxy.Heal();
        Assert.Equal("blackhole", await ReceiveAsync(during, 9, Patience));
        using var after = await ConnectAsync(proxy.Port);
        Assert.Equal("again", await RoundTripAsync(after, "again", Patience));

        // Disposed: every socket closed, the port no longer accepts.
        await proxy.DisposeAsync();
        Assert.Equal(0, proxy.Open);
        await Assert.ThrowsAsync<SocketException>(async () => await ConnectAsync(proxy.Port));
    }

    private static async Task<Socket> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, port);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task SendAsync(Socket socket, string text) => await socket.SendAsync(Encoding.ASCII.GetBytes(text), SocketFlags.None);

    // Exactly `length` bytes as text, or null when they do not all come within `timeout`; a closed connection throws.
    private static async Task<string?> ReceiveAsync(Socket socket, int length, TimeSpan timeout)
    {
        var buffer = new byte[length];
        var read = 0;
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (read < length)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cts.Token);
                if (n == 0)
                {
                    throw new IOException("the connection was closed");
                }

                read += n;
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }

        return Encoding.ASCII.GetString(buffer, 0, read);
    }

    private static async Task<string?> RoundTripAsync(Socket socket, string text, TimeSpan timeout)
    {
        await SendAsync(socket, text);
        return await ReceiveAsync(socket, text.Length, timeout);
    }

    // Echoes every byte back; remembers what it received.
    private sealed class EchoServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Socket> _sockets = [];
        private readonly StringBuilder _received = new();
        private Task _accepting = Task.CompletedTask;
        private int _connections;

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Connections => Volatile.Read(ref _connections);

        public string Received
        {
            get
            {
                lock (_received)
                {
                    return _received.ToString();
                }
            }
        }

        public static EchoServer Start()
        {
            var server = new EchoServer();
            server._listener.Start();
            server._accepting = Task.Run(server.AcceptAsync);
            return server;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            lock (_sockets)
            {
                foreach (var socket in _sockets)
                {
                    socket.Dispose();
                }
            }

            await _accepting;
            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket socket;
                try
                {
                    socket = await _listener.AcceptSocketAsync(_stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }

                Interlocked.Increment(ref _connections);
                lock (_sockets)
                {
                    _sockets.Add(socket);
                }

                _ = Task.Run(() => EchoAsync(socket));
            }
        }

        private async Task EchoAsync(Socket socket)
        {
            var buffer = new byte[4096];
            try
            {
                while (true)
                {
                    var n = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                    if (n == 0)
                    {
                        return;
                    }

                    lock (_received)
                    {
                        _received.Append(Encoding.ASCII.GetString(buffer, 0, n));
                    }

                    await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }
    }
}
