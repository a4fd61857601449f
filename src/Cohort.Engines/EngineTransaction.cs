using System.Buffers;
using Cohort.Core;
using Cohort.Storage.Encoding;
using Cohort.Storage.Locking;
using Cohort.Storage.Mvcc;
using Cohort.Core.Execution;

namespace Cohort.Engines;

/// <summary>One transaction's state at one engine: its locks, its buffered writes (in subclasses) and its place in the protocol.</summary>
public abstract class EngineTransaction
{
    /// <summary>Creates the state of transaction <paramref name="id"/>.</summary>
    protected EngineTransaction(TxId id, DateTimeOffset deadline)
    {
        Id = id;
        Deadline = deadline;
        Locks = new LockOwner(id, deadline);
    }

    /// <summary>The transaction id.</summary>
    public TxId Id { get; }

    /// <summary>Lock waits and the transaction itself expire at this instant.</summary>
    public DateTimeOffset Deadline { get; }

    /// <summary>The transaction's lock state.</summary>
    public LockOwner Locks { get; }

    /// <summary>Whether the transaction has buffered any write (otherwise it votes read-only).</summary>
    public abstract bool HasWrites { get; }

    /// <summary>Serializes the buffered writes (the intents) into a log record or snapshot.</summary>
    public abstract void WriteIntents(IBufferWriter<byte> writer);

    /// <summary>The lock keys the buffered writes need exclusively (retaken after a restart).</summary>
    public abstract IEnumerable<string> ExclusiveLockKeys { get; }

    /// <summary>
    /// Cancelled when the transaction is aborted (by request, a wound, its deadline), so that an operation still running
    /// for it (a long SQL statement) stops rather than run on for a transaction that can no longer commit.
    /// </summary>
    public CancellationToken Aborted
    {
        get
        {
            var stop = Volatile.Read(ref _stop);
            if (stop is null)
            {
                var created = new CancellationTokenSource();
                stop = Interlocked.CompareExchange(ref _stop, created, null) ?? created;
                if (stop != created)
                {
                    created.Dispose();
                }
                else if (Volatile.Read(ref _stopped) != 0)
                {
                    // Aborted before the source existed.
                    stop.Cancel();
                }
            }

            return stop.Token;
        }
    }

    private CancellationTokenSource? _stop;
    private int _stopped;

    // Called once the state says Aborted. The callbacks (a linked statement token) run on the thread pool, not under
    // the caller's lock.
    internal void CancelRunning()
    {
        Interlocked.Exchange(ref _stopped, 1);
        if (Volatile.Read(ref _stop) is { } stop)
        {
            _ = stop.CancelAsync();
        }
    }

    internal AsyncGate Gate { get; } = new();

    internal Lock Sync { get; } = new();

    internal TxState State { get; set; }

    internal string? AbortReason { get; set; }

    internal HlcTimestamp PrepareTimestamp { get; set; }

    internal string? Coordinator { get; set; }

    internal PreparedMarker? Marker { get; set; }

    internal HlcTimestamp CommitTimestamp { get; set; }

    internal Task? Durable { get; set; }

    // The shared locks its prepare record logged, between replay and the retaking of its locks at start-up.
    internal ReadLockSet? RecoveredReads { get; set; }
}

/// <summary>The shared locks of a prepared transaction, as logged: string keys and ranges per space.</summary>
internal sealed record ReadLockSet(IReadOnlyList<string> Keys, IReadOnlyList<(string Space, LockRange Range)> Ranges);
