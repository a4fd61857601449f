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

    // A prepare that also logs the transaction's shared locks (PrepareRecord did not: a restart lost them, and a
    // writer could then commit under reads the transaction was about to commit above). A flag marks a read-only
    // transaction keeping its locks for the outcome (PrepareInfo.KeepReadLocks); its intents are empty.
    private const byte PrepareWithReadsRecord = 5;
    private const byte ReadOnlyFlag = 1;

    // Format 3 logs each pending transaction's kind (read-only ones included) and its shared locks; format 2 added
    // the remembered committed outcomes, so a repeated one-phase commit after a snapshot and a restart still answers
    // "committed" instead of "unknown" (which a coordinator must read as not committed).
    private const byte SnapshotFormat = 3;
    private const byte SnapshotFormatWithoutReads = 2;
    private const byte SnapshotFormatWithoutOutcomes = 1;
    private const byte PendingPrepared = 0;
    private const byte PendingCommitting = 1;
    private const byte PendingReadOnly = 2;

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
            if (tx.State == TxState.ReadOnlyPrepared)
            {
                RetakeReadLocks(tx);
                continue;
            }

            RetakeLocks(tx);
            RetakeReadLocks(tx);
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
        // A read-only transaction is pending once its prepare record is appended (Durable set), as a writing one is.
        var pending = _transactions.Values
            .Where(t => t.State is TxState.Preparing or TxState.Prepared or TxState.Committing || (t.State == TxState.ReadOnlyPrepared && t.Durable is not null))
            .ToList();
        writer.WriteVarUInt((ulong)pending.Count);
        foreach (var tx in pending)
        {
            var kind = tx.State switch
            {
                TxState.Committing => PendingCommitting,
                TxState.ReadOnlyPrepared => PendingReadOnly,
                _ => PendingPrepared,
            };
            writer.WriteTxId(tx.Id);
            writer.WriteByte(kind);
            writer.WriteInt64(kind == PendingCommitting ? tx.CommitTimestamp.Value : tx.PrepareTimestamp.Value);
            writer.WriteNullableString(tx.Coordinator);
            var intents = new ArrayBufferWriter<byte>();
            tx.WriteIntents(intents);
            writer.WriteBytes(intents.WrittenSpan);
            var reads = new ArrayBufferWriter<byte>();
            if (kind != PendingCommitting)
            {
                WriteReadLocks(reads, tx);
            }

            writer.WriteBytes(reads.WrittenSpan);
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
            buffer.WriteByte(0);
            state.WriteIntents(buffer);
            WriteReadLocks(buffer, state);
            var durable = Machine.Append(PrepareWithReadsRecord, buffer.WrittenSpan);
            state.State = TxState.Preparing;
            state.Durable = durable;
            return durable;
        }
    }

    // Caller holds state.Sync; state is Active without writes and marked prepared in the lock manager. Logs the
    // transaction's shared locks (state.Durable) and moves it to ReadOnlyPrepared.
    private void AppendReadOnlyPrepare(TTx state, PrepareInfo info)
    {
        lock (_stateLock)
        {
            var prepareTimestamp = Clock.Now();
            var buffer = Scratch();
            buffer.WriteTxId(state.Id);
            buffer.WriteInt64(prepareTimestamp.Value);
            buffer.WriteNullableString(info.Coordinator);
            buffer.WriteByte(ReadOnlyFlag);
            state.WriteIntents(buffer);
            WriteReadLocks(buffer, state);
            state.Durable = Machine.Append(PrepareWithReadsRecord, buffer.WrittenSpan);
            state.PrepareTimestamp = prepareTimestamp;
            state.Coordinator = info.Coordinator;
            state.State = TxState.ReadOnlyPrepared;
        }
    }

    // Caller holds state.Sync. Appends the outcome of a logged read-only transaction without waiting for it: if it is
    // lost, the transaction comes back holding its read locks and asks its coordinator.
    private void AppendOutcomeLazily(byte type, TxId id, HlcTimestamp commitTimestamp)
    {
        lock (_stateLock)
        {
            var buffer = Scratch();
            buffer.WriteTxId(id);
            if (type == CommitRecord)
            {
                buffer.WriteInt64(commitTimestamp.Value);
            }

            try
            {
                _ = ObserveAsync(Machine.AppendDeferred(type, buffer.WrittenSpan));
            }
            catch (CohortException)
            {
                // The log is failed or closing: the same as a lost record.
            }
        }
    }

    private static async Task ObserveAsync(Task durable)
    {
        try
        {
            await durable.ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or CohortException)
        {
            // A lost outcome of a read-only transaction: recovery asks the coordinator again.
        }
    }

    private void WriteReadLocks(IBufferWriter<byte> writer, TTx tx)
    {
        var (keys, ranges) = Locks.HeldShared(tx.Locks);
        writer.WriteVarUInt((ulong)keys.Count);
        foreach (var key in keys)
        {
            writer.WriteString(key);
        }

        writer.WriteVarUInt((ulong)ranges.Count);
        foreach (var (space, range) in ranges)
        {
            writer.WriteString(space);
            WriteRangeBound(writer, range.Low);
            WriteRangeBound(writer, range.High);
        }
    }

    private ReadLockSet ReadReadLocks(ref SpanReader reader)
    {
        var keyCount = reader.ReadVarUInt();
        if (keyCount > (ulong)reader.Remaining)
        {
            throw new CohortException(ErrorCodes.Corruption, $"Corrupt read-lock list in the log of {Name}.", isTransient: false);
        }

        var keys = new List<string>((int)keyCount);
        for (ulong i = 0; i < keyCount; i++)
        {
            keys.Add(reader.ReadString());
        }

        var rangeCount = reader.ReadVarUInt();
        if (rangeCount > (ulong)reader.Remaining)
        {
            throw new CohortException(ErrorCodes.Corruption, $"Corrupt read-lock list in the log of {Name}.", isTransient: false);
        }

        var ranges = new List<(string Space, LockRange Range)>((int)rangeCount);
        for (ulong i = 0; i < rangeCount; i++)
        {
            var space = reader.ReadString();
            var low = ReadRangeBound(ref reader);
            var high = ReadRangeBound(ref reader);
            ranges.Add((space, new LockRange(low, high)));
        }

        return new ReadLockSet(keys, ranges);
    }

    // At start-up, after the transaction's exclusive locks: its logged shared ones (none when its prepare record
    // predates PrepareWithReadsRecord).
    private void RetakeReadLocks(TTx tx)
    {
        if (tx.RecoveredReads is not { } reads)
        {
            return;
        }

        foreach (var key in reads.Keys)
        {
            // A key it also wrote is held exclusively already; retaking it shared would downgrade it.
            if (Locks.HeldMode(tx.Locks, key) is null)
            {
                Locks.AcquireRecovered(tx.Locks, key, LockMode.Shared);
            }
        }

        foreach (var (space, range) in reads.Ranges)
        {
            Locks.AcquireRangeRecovered(tx.Locks, space, range, LockMode.Shared, RangeComparer(space));
        }

        tx.RecoveredReads = null;
    }

    /// <summary>
    /// Writes a bound of a range lock this engine took (engines that take range locks override this and
    /// <see cref="ReadRangeBound"/> and <see cref="RangeComparer"/>).
    /// </summary>
    protected virtual void WriteRangeBound(IBufferWriter<byte> writer, object bound) =>
        throw new InvalidOperationException($"{GetType().Name} takes no range locks, yet holds one.");

    /// <summary>Reads a bound <see cref="WriteRangeBound"/> wrote.</summary>
    protected virtual object ReadRangeBound(ref SpanReader reader) =>
        throw new CohortException(ErrorCodes.Corruption, $"The log of {Name} holds a range lock, which {GetType().Name} never takes.", isTransient: false);

    /// <summary>The comparer the range-lock space <paramref name="space"/> is used with.</summary>
    protected virtual IComparer<object> RangeComparer(string space) =>
        throw new CohortException(ErrorCodes.Corruption, $"The log of {Name} holds a range lock, which {GetType().Name} never takes.", isTransient: false);

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

            // A one-phase commit record is the decision itself and is flushed at once; phase two's shares the next
            // flush (its acknowledgement waits for it, and the coordinator keeps its decision until then).
            var durable = onePhase
                ? Machine.Append(CommitOnePhaseRecord, buffer.WrittenSpan)
                : Machine.AppendDeferred(CommitRecord, buffer.WrittenSpan);
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
                durable = Machine.Append(AbortRecord, buffer.WrittenSpan);
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
            case PrepareWithReadsRecord:
            {
                var prepareTimestamp = new HlcTimestamp(reader.ReadInt64());
                var coordinator = reader.ReadNullableString();
                var flags = record.Type == PrepareWithReadsRecord ? reader.ReadByte() : (byte)0;
                var tx = ReadIntents(id, ref reader);
                tx.State = (flags & ReadOnlyFlag) != 0 ? TxState.ReadOnlyPrepared : TxState.Prepared;
                tx.PrepareTimestamp = prepareTimestamp;
                tx.Coordinator = coordinator;
                tx.Durable = Task.CompletedTask;
                tx.RecoveredReads = record.Type == PrepareWithReadsRecord ? ReadReadLocks(ref reader) : null;
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
                    var readOnly = tx.State == TxState.ReadOnlyPrepared;
                    if (!readOnly)
                    {
                        InstallCommit(tx, commitTimestamp, null);
                    }

                    Remember(id, new Outcome(true, commitTimestamp, null, false, ReadOnly: readOnly));
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
        if (format is not (SnapshotFormat or SnapshotFormatWithoutReads or SnapshotFormatWithoutOutcomes))
        {
            throw new CohortException(ErrorCodes.Corruption, $"Snapshot of {Name} has unknown format {format}.", isTransient: false);
        }

        Clock.Observe(new HlcTimestamp(reader.ReadInt64()));
        ReadState(ref reader);
        var count = reader.ReadVarUInt();
        for (ulong i = 0; i < count; i++)
        {
            var id = reader.ReadTxId();
            var kind = reader.ReadByte();
            var timestamp = new HlcTimestamp(reader.ReadInt64());
            var coordinator = reader.ReadNullableString();
            var intents = new SpanReader(reader.ReadBytes());
            var tx = ReadIntents(id, ref intents);
            ReadLockSet? reads = null;
            if (format >= SnapshotFormat)
            {
                var readBytes = new SpanReader(reader.ReadBytes());
                reads = kind == PendingCommitting ? null : ReadReadLocks(ref readBytes);
            }

            if (kind == PendingCommitting)
            {
                InstallCommit(tx, timestamp, null);
                Remember(id, new Outcome(true, timestamp, null, false));
            }
            else if (kind is PendingPrepared or PendingReadOnly)
            {
                tx.State = kind == PendingReadOnly ? TxState.ReadOnlyPrepared : TxState.Prepared;
                tx.PrepareTimestamp = timestamp;
                tx.Coordinator = coordinator;
                tx.Durable = Task.CompletedTask;
                tx.RecoveredReads = reads;
                _transactions[id] = tx;
            }
            else
            {
                throw new CohortException(ErrorCodes.Corruption, $"Snapshot of {Name} has a pending transaction of unknown kind {kind}.", isTransient: false);
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
