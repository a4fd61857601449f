using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Cohort.Transport;

namespace Cohort.Tests.Transport;

/// <summary>
/// <see cref="FrameSender"/> on a real WebSocket over loopback TCP: many concurrent senders, every message arrives once,
/// each sender's messages in its order, packed many to a frame; unwanted messages are dropped; a broken socket calls
/// the failure callback once and later messages are dropped quietly.
/// </summary>
public sealed class FrameSenderTests
{
    [Fact]
    public async Task ConcurrentSenders_EveryMessageArrivesOnce_InEachSendersOrder()
    {
        var (client, server) = await PairAsync();
        using (client)
        using (server)
        {
            var failures = 0;
            var sender = new FrameSender(client, static _ => true, _ => Interlocked.Increment(ref failures), CancellationToken.None);
            const int Senders = 8;
            const int PerSender = 500;
            var receiving = ReceiveAsync(server, Senders * PerSender);
            await Task.WhenAll(Enumerable.Range(0, Senders).Select(s => Task.Run(async () =>
            {
                for (var i = 0; i < PerSender; i++)
                {
                    sender.Post((s * PerSender) + i, Message(s, i));
                    if (i % 50 == 0)
                    {
                        await Task.Yield();
                    }
                }
            })));
            await sender.FlushAsync();
            var (messages, frames) = await receiving.WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(0, failures);
            Assert.Equal(Senders * PerSender, messages.Count);
            for (var s = 0; s < Senders; s++)
            {
                Assert.Equal(Enumerable.Range(0, PerSender), messages.Where(m => m.Sender == s).Select(m => m.Index));
            }

            Assert.True(frames <= messages.Count, $"{frames} frames for {messages.Count} messages");
        }
    }

    [Fact]
    public async Task UnwantedMessages_AreDropped()
    {
        var (client, server) = await PairAsync();
        using (client)
        using (server)
        {
            var sender = new FrameSender(client, static id => id % 2 == 0, _ => { }, CancellationToken.None);
            var receiving = ReceiveAsync(server, 50);
            for (var i = 0; i < 100; i++)
            {
                sender.Post(i, Message(0, i));
            }

            await sender.FlushAsync();
            var (messages, _) = await receiving.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(Enumerable.Range(0, 50).Select(i => i * 2), messages.Select(m => m.Index));
        }
    }

    [Fact]
    public async Task BrokenSocket_FailsOnce_AndLaterMessagesAreDropped()
    {
        var (client, server) = await PairAsync();
        using (server)
        {
            var failures = new List<Exception>();
            var sender = new FrameSender(client, static _ => true, e => { lock (failures) { failures.Add(e); } }, CancellationToken.None);
            client.Abort();
            client.Dispose();
            for (var i = 0; i < 20; i++)
            {
                sender.Post(i, Message(0, i));
            }

            await sender.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Single(failures);
        }
    }

    private static byte[] Message(int sender, int index) => Encoding.UTF8.GetBytes($"{{\"s\":{sender},\"i\":{index}}}");

    private static async Task<(List<(int Sender, int Index)> Messages, int Frames)> ReceiveAsync(WebSocket socket, int expected)
    {
        var messages = new List<(int, int)>();
        var frames = 0;
        var buffer = new byte[1 << 20];
        while (messages.Count < expected)
        {
            var length = 0;
            var end = false;
            while (!end)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                length += result.Count;
                end = result.EndOfMessage;
            }

            frames++;
            using var frame = JsonDocument.Parse(buffer.AsMemory(0, length));
            Assert.Equal(JsonValueKind.Array, frame.RootElement.ValueKind);
            foreach (var message in frame.RootElement.EnumerateArray())
            {
                messages.Add((message.GetProperty("s").GetInt32(), message.GetProperty("i").GetInt32()));
            }
        }

        return (messages, frames);
    }

    private static async Task<(WebSocket Client, WebSocket Server)> PairAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var connecting = new TcpClient();
        await connecting.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        var accepted = await listener.AcceptTcpClientAsync();
        var client = WebSocket.CreateFromStream(connecting.GetStream(), new WebSocketCreationOptions { IsServer = false });
        var server = WebSocket.CreateFromStream(accepted.GetStream(), new WebSocketCreationOptions { IsServer = true });
        return (client, server);
    }
}
