using Cohort.Core;
using Cohort.Storage.IO;
using Cohort.Storage.Replication;
using Cohort.Storage.Snapshots;
using Cohort.Storage.Wal;

namespace Cohort.Storage.StateMachines;

/// <summary>
/// The load-snapshot, replay-log, checkpoint cycle of a state kept in a <see cref="WriteAheadLog"/> (in
/// <c>{directory}/wal</c>) and a <see cref="SnapshotStore"/> (in <c>{directory}/snapshots</c>), written once for the
/// engines and the decision log.
/// </summary>
/// <remarks>
/// A checkpoint rotates the log and serializes the state under the owner's lock, waits until every record appended
/// before the rotation is durable, writes the snapshot, and only then deletes the segments it covers. A crash after the
/// snapshot but before the deletion leaves both: the next <see cref="Open"/> starts from the snapshot's segment and
/// deletes the older ones (<see cref="WriteAheadLog.Open"/>), so no record is applied twice.
/// </remarks>
public sealed class LoggedStateMachine : ISnapshotSource, IAsyncDisposable
{
    private readonly ILoggedState _state;
    private readonly Lock _sync;
    private readonly SnapshotStore _snapshots;

    private LoggedStateMachine(ILoggedState state, Lock sync, SnapshotStore snapshots, WriteAheadLog wal, long fromSegment, long replayed)
    {
        _state = state;
        _sync = sync;
        _snapshots = snapshots;
        Wal = wal;
        FromSegment = fromSegment;
        RecordsReplayed = replayed;
    }

    /// <summary>The log; append to it through <see cref="Append"/> (so that replicas get the record too).</summary>
    public WriteAheadLog Wal { get; }

    /// <summary>
    /// Where records and snapshots are shipped when the state is replicated (null: it is not). Set it under the lock
    /// given to <see cref="Open"/>, between two appends.
    /// </summary>
    public IReplicationSink? Replication { get; set; }

    /// <summary>
    /// Appends a record; call it under the lock given to <see cref="Open"/>, in the same critical section as the state
    /// change it records. The task completes once the record is durable here and, when replicated, on every replica of
    /// the configuration.
    /// </summary>
    public Task Append(byte type, ReadOnlySpan<byte> payload) => Shipped(Wal.Append(type, payload), type, payload);

    /// <summary>
    /// <see cref="Append"/> for a record that need not be flushed at once (<see cref="WriteAheadLog.AppendDeferred"/>):
    /// it shares the next flush, and its task completes as <see cref="Append"/>'s does, once it is durable here and on
    /// every replica.
    /// </summary>
    public Task AppendDeferred(byte type, ReadOnlySpan<byte> payload) => Shipped(Wal.AppendDeferred(type, payload), type, payload);

    // A record appended locally (its durability: local), also shipped to the replicas when the state is replicated.
    private Task Shipped(Task local, byte type, ReadOnlySpan<byte> payload) =>
        Replication is { } sink ? Both(local, sink.Ship(ReplicationEntryKind.Record, type, payload)) : local;

    /// <inheritdoc/>
    public void Capture(Action<ReadOnlyMemory<byte>> atThisPoint)
    {
        ArgumentNullException.ThrowIfNull(atThisPoint);
        lock (_sync)
        {
            atThisPoint(_state.WriteSnapshot());
        }
    }

    // A local failure wins (it is the one the owner must act on) and is not held up by replicas.
    private static async Task Both(Task local, Task replicated)
    {
        try
        {
            await local.ConfigureAwait(false);
        }
        catch
        {
            _ = ObserveAsync(replicated);
            throw;
        }

        await replicated.ConfigureAwait(false);
    }

    private static async Task ObserveAsync(Task replicated)
    {
        try
        {
            await replicated.ConfigureAwait(false);
        }
        catch (IOException)
        {
            // Fenced or stopped: the local failure already decides this record's fate here.
        }
    }

    /// <summary>The segment recovery started at (that of the snapshot loaded, or 1).</summary>
    public long FromSegment { get; }

    /// <summary>Records replayed at open.</summary>
    public long RecordsReplayed { get; }

    /// <summary>
    /// Recovers <paramref name="state"/>: loads the newest snapshot in <paramref name="directory"/>, then replays the
    /// log records after it.
    /// </summary>
    /// <param name="directory">Holds <c>wal</c> and <c>snapshots</c>.</param>
    /// <param name="durability">How appends become durable.</param>
    /// <param name="segmentBytes">Size at which the log starts a new segment.</param>
    /// <param name="state">The state to rebuild and, later, to snapshot.</param>
    /// <param name="sync">The lock under which the owner changes the state and appends its records.</param>
    /// <param name="tornTail">Told about a torn record cut off the end of the log.</param>
    /// <param name="fileSystem">Where the log and the snapshots live; <see cref="FileSystem.Real"/> when null.</param>
    /// <param name="onFailure">Called once if the log fails (a write or fsync error); see <see cref="WalOptions.OnFailure"/>.</param>
    public static LoggedStateMachine Open(
        string directory,
        DurabilityMode durability,
        long segmentBytes,
        ILoggedState state,
        Lock sync,
        Action<string>? tornTail = null,
        FileSystem? fileSystem = null,
        Action<Exception>? onFailure = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(state);
        if (sync is null)
        {
            // Not ThrowIfNull: passing a Lock as object would turn it into a monitor.
            throw new ArgumentNullException(nameof(sync));
        }

        fileSystem ??= FileSystem.Real;
        var snapshots = new SnapshotStore(Path.Combine(directory, "snapshots"), fileSystem);
        long fromSegment = 1;
        if (snapshots.LoadNewest() is { } snapshot)
        {
            fromSegment = snapshot.WalSegment;
            state.LoadSnapshot(snapshot.Payload);
        }

        long records = 0;
        var wal = WriteAheadLog.Open(
            new WalOptions
            {
                Directory = Path.Combine(directory, "wal"),
                Durability = durability,
                SegmentBytes = segmentBytes,
                FileSystem = fileSystem,
                OnFailure = onFailure,
            },
            fromSegment,
            record =>
            {
                records++;
                state.Apply(record);
            },
            tornTail);
        return new LoggedStateMachine(state, sync, snapshots, wal, fromSegment, records);
    }

    /// <summary>
    /// Writes a snapshot of the state and deletes the log segments it covers. Not safe to run concurrently with
    /// itself: the owner serializes checkpoints.
    /// </summary>
    public async Task<CheckpointResult> CheckpointAsync(CancellationToken cancellationToken)
    {
        long segment;
        ReadOnlyMemory<byte> payload;
        Task flushed;
        lock (_sync)
        {
            segment = Wal.Rotate();
            payload = _state.WriteSnapshot();
            flushed = Wal.FlushAsync();

            // The replicas checkpoint at the same point of the stream (their own copy of this snapshot); nothing waits
            // for it: until it is durable there, their older segments still hold the same state.
            _ = Replication?.Ship(ReplicationEntryKind.Snapshot, 0, payload.Span);
        }

        // The snapshot may hold changes whose records are still on their way to disk; let them land first so the
        // snapshot never claims anything the log has not made durable.
        await flushed.ConfigureAwait(false);
        await _snapshots.WriteAsync(segment, payload, cancellationToken).ConfigureAwait(false);
        CrashPoints.Hit(CrashPoints.SnapshotBeforeTruncate);
        var deleted = Wal.DeleteSegmentsBefore(segment);
        return new CheckpointResult(segment, payload.Length, deleted);
    }

    /// <summary>Closes the log after writing what is pending.</summary>
    public ValueTask DisposeAsync() => Wal.DisposeAsync();
}
