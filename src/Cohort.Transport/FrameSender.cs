using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;

namespace Cohort.Transport;

/// <summary>
/// Sends protocol messages on one WebSocket, many to a frame (a JSON array, see <see cref="MessageFrames"/>), without a
/// writer task of its own: whoever finds the socket idle sends what is queued — its own message and any queued
/// meanwhile — on its own thread, and a message queued while a send is under way goes out in the next frame, sent by
/// the holder. At low load a message leaves on the thread that made it, with no wake-up of another thread (a writer
/// task cost a thread-pool hop, two context switches, per message: issue 24); under load the holder batches everything
/// queued, as the writer task did. A holder that has sent <see cref="FramesPerTurn"/> frames and still finds messages
/// hands the rest to the thread pool, so no caller sends for the others for long.
/// </summary>
public sealed class FrameSender
{
    /// <summary>Frames one holder sends before it hands the queue to the thread pool.</summary>
    public const int FramesPerTurn = 4;

    private readonly WebSocket _socket;
    private readonly Func<long, bool> _wanted;
    private readonly Action<Exception> _failed;
    private readonly CancellationToken _cancellation;
    private readonly ConcurrentQueue<(long Id, byte[] Bytes)> _queue = new();
    private readonly ArrayBufferWriter<byte> _frame = new(64 * 1024);
    private Task _turn = Task.CompletedTask;
    private int _held;
    private int _broken;

    /// <param name="socket">The socket; nothing else sends data frames on it.</param>
    /// <param name="wanted">Whether a queued message is still to be sent (false: its sender gave up; it is dropped).</param>
    /// <param name="failed">Called once, when a send fails: the socket is then unusable and later messages are dropped.</param>
    /// <param name="cancellation">Cancels a send under way (the connection is being closed).</param>
    public FrameSender(WebSocket socket, Func<long, bool> wanted, Action<Exception> failed, CancellationToken cancellation)
    {
        _socket = socket;
        _wanted = wanted;
        _failed = failed;
        _cancellation = cancellation;
    }

    /// <summary>Queues a message and, when the socket is idle, sends it (and whatever else is queued) before returning.</summary>
    public void Post(long id, byte[] bytes)
    {
        if (Volatile.Read(ref _broken) != 0)
        {
            return;
        }

        _queue.Enqueue((id, bytes));
        if (Interlocked.CompareExchange(ref _held, 1, 0) == 0)
        {
            _turn = DrainAsync();
        }
    }

    /// <summary>Completes when everything queued so far has been sent (or the socket failed).</summary>
    public async Task FlushAsync()
    {
        while (Volatile.Read(ref _broken) == 0 && !_queue.IsEmpty)
        {
            if (Interlocked.CompareExchange(ref _held, 1, 0) == 0)
            {
                await DrainAsync().ConfigureAwait(false);
                continue;
            }

            var turn = _turn;
            if (turn.IsCompleted)
            {
                // Held by a sender that has not published its turn yet: let it run.
                await Task.Delay(1, CancellationToken.None).ConfigureAwait(false);
                continue;
            }

            await turn.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    // Runs while this caller holds the socket; releases it when the queue is empty.
    private async Task DrainAsync()
    {
        try
        {
            var frames = 0;
            while (true)
            {
                while (TakeFrame())
                {
                    await _socket.SendAsync(_frame.WrittenMemory, WebSocketMessageType.Text, endOfMessage: true, _cancellation).ConfigureAwait(false);
                    if (++frames >= FramesPerTurn && !_queue.IsEmpty)
                    {
                        // Still held: the thread pool sends the rest.
                        _turn = Task.Run(DrainAsync);
                        return;
                    }
                }

                Volatile.Write(ref _held, 0);

                // A message queued after the last TakeFrame found the socket held and left it to this sender.
                if (_queue.IsEmpty || Interlocked.CompareExchange(ref _held, 1, 0) != 0)
                {
                    return;
                }
            }
        }
        catch (Exception e)
        {
            if (Interlocked.Exchange(ref _broken, 1) == 0)
            {
                _queue.Clear();
                _failed(e);
            }
        }
    }

    // Writes queued messages into the frame, up to MessageFrames.SoftFrameBytes; false when none was wanted.
    private bool TakeFrame()
    {
        _frame.ResetWrittenCount();
        _frame.Write("["u8);
        var count = 0;
        while (_frame.WrittenCount < MessageFrames.SoftFrameBytes && _queue.TryDequeue(out var message))
        {
            if (!_wanted(message.Id))
            {
                continue;
            }

            if (count++ > 0)
            {
                _frame.Write(","u8);
            }

            _frame.Write(message.Bytes);
        }

        _frame.Write("]"u8);
        return count > 0;
    }
}
