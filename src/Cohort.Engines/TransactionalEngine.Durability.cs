using System.Buffers;
using Cohort.Core;
using Cohort.Storage.Encoding;
using Cohort.Storage.Locking;
using Cohort.Storage.StateMachines;
using Cohort.Storage.Wal;

namespace Cohort.Engines;

/// <content>Log records, recovery and snapshots.</content>
public abstract partial class TransactionalEngine<TTx> : ILoggedState
{
    private const byte PrepareRecord = 1;
    private const byte CommitRecord = 2;
    private const byte CommitOnePhaseRecord = 3;
    private const byte AbortRecord = 4;
    // Format 2 adds the remembered committed outcomes, so a repeated one-phase commit after a snapshot and a
    // restart still answers "committed" instead of "unknown" (which a coordinator must read as not committed).
    private const byte SnapshotFormat = 2;
    private const byte SnapshotFormatWithoutOutcomes = 1;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _scratch;

    private static ArrayBufferWriter<byte> Scratch()
    {
        var buffer = _scratch ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        return buffer;
    }

    /// <summary>Runs <see cref="Open"/> on a new engine, releasing its resources if recovery fails.</summary>
    protected static TEngine Recover<TEngine>(TEngine engine)
        where TEngine : TransactionalEngine<TTx>
    {
        ArgumentNullException.ThrowIfNull(engine);
        try
        {
            engine.Open();
            return engine;
        }
        catch
        {
            engine.DisposeCore();
            throw;
        }
    }

    /// <summary>
    /// Recovers the engine from its newest snapshot and the log after it, retakes the locks of
    /// prepared transactions and starts maintenance. Call once, from the engine's factory.
    /// </summary>
    protected void Open()
    {
        var started = Options.TimeProvider.GetTimestamp();
        _machine = LoggedStateMachine.Open(
            Options.DataDirectory,
            Options.Durability,
            Options.SegmentBytes,
            this,
            _stateLock,
            message => Log.TornTail(Logger, Name, message),
            Options.FileSystem,
            Options.OnStorageFailure);
        _wal = _machine.Wal;

        foreach (var tx in _transactions.Values)
        {
            RetakeLocks(tx);
            var prepareTimestamp = tx.PrepareTimestamp;
            tx.Marker = MarkPrepared(tx, () => prepareTimestamp);
            OnRecovered(tx);
        }

        if (Options.MaintenanceInterval != Timeout.InfiniteTimeSpan)
        {
            _maintenance = Options.TimeProvider.CreateTimer(_ => RunMaintenance(), null, Options.MaintenanceInterval, Options.MaintenanceInterval);
        }

        Log.Recovered(Logger, Name, Options.DataDirectory, _machine.FromSegment, _machine.RecordsReplayed, _transactions.Count, (long)Options.TimeProvider.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>
    /// Writes a snapshot of the committed state and the prepared transactions, then deletes the log
    /// segments it covers. Runs in the background when the log grows past the threshold; tests may call it.
    /// </summary>
    /// <remarks>
    /// The snapshot is written only after every record appended before it was taken is durable
    /// (<see cref="LoggedStateMachine.CheckpointAsync"/>), so it never holds a prepare or commit the log could still lose.
    /// </remarks>
    public async Task SnapshotAsync(CancellationToken cancellationToken)
    {
        await _snapshotGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            var machine = _machine ?? throw new InvalidOperationException("The engine is not open.");
            var checkpoint = await machine.CheckpointAsync(cancellationToken).ConfigureAwait(false);
            Log.SnapshotWritten(Logger, Name, checkpoint.Segment, checkpoint.SnapshotBytes, checkpoint.DeletedSegments);
        }
        finally
        {
            _snapshotGate.Release();
        }
    }

    // Under _stateLock, right after the log rotated (LoggedStateMachine.CheckpointAsync).
    ReadOnlyMemory<byte> ILoggedState.WriteSnapshot()
    {
        var writer = new ArrayBufferWriter<byte>(1 << 16);
        writer.WriteByte(SnapshotFormat);
        writer.WriteInt64(Clock.Current.Value);
        WriteState(writer);
        var pending = _transactions.Values.Where(t => t.State is TxState.Preparing or TxState.Prepared or TxState.Committing).ToList();
        writer.WriteVarUInt((ulong)pending.Count);
        foreach (var tx in pending)
        {
            var committing = tx.State == TxState.Committing;
            writer.WriteTxId(tx.Id);
            writer.WriteByte(committing ? (byte)1 : (byte)0);
            writer.WriteInt64(committing ? tx.CommitTimestamp.Value : tx.PrepareTimestamp.Value);
            writer.WriteNullableString(tx.Coordinator);
            var intents = new ArrayBufferWriter<byte>();
            tx.WriteIntents(intents);
            writer.WriteBytes(intents.WrittenSpan);
        }

        var committed = _finished.ToList().Where(f => f.Value.Committed).ToList();
        writer.WriteVarUInt((ulong)committed.Count);
        foreach (var (id, outcome) in committed)
        {
            writer.WriteTxId(id);
            writer.WriteInt64(outcome.Timestamp.Value);
        }

        Interlocked.Exchange(ref _walBytesAtSnapshot, Wal.BytesSinceStart);
        return writer.WrittenMemory;
    }

    private async Task SnapshotInBackgroundAsync()
    {
        try
        {
            await SnapshotAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Log.SnapshotFailed(Logger, Name, e);
        }
        finally
        {
            Interlocked.Exchange(ref _snapshotQueued, 0);
        }
    }

    // Caller holds state.Sync; state is Active with writes and marked prepared in the lock manager.
    private Task AppendPrepare(TTx state, PrepareInfo info)
    {
        lock (_stateLock)
        {
            state.Marker = MarkPrepared(state, Clock.Now);
            state.PrepareTimestamp = state.Marker.PrepareTimestamp;
            state.Coordinator = info.Coordinator;
            var buffer = Scratch();
            buffer.WriteTxId(state.Id);
            buffer.WriteInt64(state.PrepareTimestamp.Value);
            buffer.WriteNullableString(info.Coordinator);
            state.WriteIntents(buffer);
            var durable = Wal.Append(PrepareRecord, buffer.WrittenSpan);
            state.State = TxState.Preparing;
            state.Durable = durable;
            return durable;
        }
    }

    // Caller holds state.Sync; state is Active (one phase) or Prepared.
    private Task AppendCommit(TTx state, HlcTimestamp commitTimestamp, bool onePhase)
    {
        lock (_stateLock)
        {
            var buffer = Scratch();
            if (onePhase)
            {
                // The commit timestamp is fixed while readers are locked out, as for a prepare.
                state.Marker = MarkPrepared(state, () => Max(commitTimestamp, Clock.Now()));
                commitTimestamp = state.Marker.PrepareTimestamp;
            }

            buffer.WriteTxId(state.Id);
            buffer.WriteInt64(commitTimestamp.Value);
            if (onePhase)
            {
                state.WriteIntents(buffer);
            }

            var durable = Wal.Append(onePhase ? CommitOnePhaseRecord : CommitRecord, buffer.WrittenSpan);
            state.CommitTimestamp = commitTimestamp;
            state.State = TxState.Committing;
            state.Durable = durable;
            return durable;
        }
    }

    // Caller holds state.Sync; state is Preparing or Prepared.
    private Task AppendAbort(TTx state)
    {
        Task durable;
        lock (_stateLock)
        {
            var buffer = Scratch();
            buffer.WriteTxId(state.Id);
            try
            {
                durable = Wal.Append(AbortRecord, buffer.WrittenSpan);
            }
            catch (CohortException e)
            {
                // The log is failed or closing. Abort in memory anyway (presumed abort): after a restart
                // the transaction is found prepared and the coordinator answers "abort" again.
                durable = Task.FromException(new IOException(e.Message, e));
            }

            if (state.Marker is { } marker)
            {
                OnPreparedAborted(state, marker);
            }

            state.State = TxState.Aborted;
            state.AbortReason = "aborted by the coordinator";
        }

        CompleteAbort(state);
        return durable;
    }

    void ILoggedState.Apply(WalRecord record)
    {
        var reader = new SpanReader(record.Payload.Span);
        var id = reader.ReadTxId();
        switch (record.Type)
        {
            case PrepareRecord:
            {
                var prepareTimestamp = new HlcTimestamp(reader.ReadInt64());
                var coordinator = reader.ReadNullableString();
                var tx = ReadIntents(id, ref reader);
                tx.State = TxState.Prepared;
                tx.PrepareTimestamp = prepareTimestamp;
                tx.Coordinator = coordinator;
                _transactions[id] = tx;
                Clock.Observe(prepareTimestamp);
                break;
            }

            case CommitRecord:
            {
                var commitTimestamp = new HlcTimestamp(reader.ReadInt64());
                Clock.Observe(commitTimestamp);
                if (_transactions.TryRemove(id, out var tx))
                {
                    InstallCommit(tx, commitTimestamp, null);
                    Remember(id, new Outcome(true, commitTimestamp, null, false));
                }
                else
                {
                    Log.ReplayUnknown(Logger, Name, "commit", id);
                }

                break;
            }

            case CommitOnePhaseRecord:
            {
                var commitTimestamp = new HlcTimestamp(reader.ReadInt64());
                Clock.Observe(commitTimestamp);
                InstallCommit(ReadIntents(id, ref reader), commitTimestamp, null);
                Remember(id, new Outcome(true, commitTimestamp, null, false));
                break;
            }

            case AbortRecord:
                if (!_transactions.TryRemove(id, out _))
                {
                    Log.ReplayUnknown(Logger, Name, "abort", id);
                }

                Remember(id, new Outcome(false, default, "aborted by the coordinator", false));
                break;
            default:
                throw new CohortException(ErrorCodes.Corruption, $"Unknown log record type {record.Type} at segment {record.Segment} offset {record.Offset} of {Name}.", isTransient: false);
        }
    }

    void ILoggedState.LoadSnapshot(byte[] payload)
    {
        var reader = new SpanReader(payload);
        var format = reader.ReadByte();
        if (format is not (SnapshotFormat or SnapshotFormatWithoutOutcomes))
        {
            throw new CohortException(ErrorCodes.Corruption, $"Snapshot of {Name} has unknown format {format}.", isTransient: false);
        }

        Clock.Observe(new HlcTimestamp(reader.ReadInt64()));
        ReadState(ref reader);
        var count = reader.ReadVarUInt();
        for (ulong i = 0; i < count; i++)
        {
            var id = reader.ReadTxId();
            var committing = reader.ReadByte() == 1;
            var timestamp = new HlcTimestamp(reader.ReadInt64());
            var coordinator = reader.ReadNullableString();
            var intents = new SpanReader(reader.ReadBytes());
            var tx = ReadIntents(id, ref intents);
            if (committing)
            {
                InstallCommit(tx, timestamp, null);
                Remember(id, new Outcome(true, timestamp, null, false));
            }
            else
            {
                tx.State = TxState.Prepared;
                tx.PrepareTimestamp = timestamp;
                tx.Coordinator = coordinator;
                _transactions[id] = tx;
            }
        }

        if (format == SnapshotFormatWithoutOutcomes)
        {
            return;
        }

        var outcomes = reader.ReadVarUInt();
        for (ulong i = 0; i < outcomes; i++)
        {
            var id = reader.ReadTxId();
            Remember(id, new Outcome(true, new HlcTimestamp(reader.ReadInt64()), null, false));
        }
    }
}
