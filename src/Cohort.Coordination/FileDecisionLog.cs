using System.Buffers;
using Cohort.Core;
using Cohort.Storage.Encoding;
using Cohort.Storage.StateMachines;
using Cohort.Storage.Wal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Cohort.Core.Execution;

namespace Cohort.Coordination;

/// <summary>
/// The <c>file</c> decision log: COMMIT and END records in a <see cref="WriteAheadLog"/> (group commit: concurrent
/// decisions share one fsync), compacted by writing the unfinished decisions to a snapshot and deleting the
/// segments before it. Presumed abort: aborts are never written.
/// </summary>
/// <remarks>
/// The set of unfinished decisions is changed under one lock together with the append of its record, so
/// a compaction (log rotation plus snapshot of the set, under the same lock) captures exactly "every
/// record before segment S".
/// </remarks>
public sealed partial class FileDecisionLog : IDecisionLog, ILoggedState
{
    private const byte CommitRecord = 1;
    private const byte EndRecord = 2;
    private const byte SnapshotFormat = 1;

    private readonly FileDecisionLogOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<TxId, CommitDecision> _unfinished = [];
    private readonly AsyncGate _compactGate = new();
    private LoggedStateMachine _machine = null!;
    private WriteAheadLog _wal = null!;
    private long _recordsSinceCompaction;
    private Task _compaction = Task.CompletedTask;
    private int _disposed;

    private FileDecisionLog(FileDecisionLogOptions options, ILogger? logger)
    {
        _options = options;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The log's directory.</summary>
    public string Directory => _options.Directory;

    /// <summary>Number of compactions since the log was opened.</summary>
    public int CompactionCount { get; private set; }

    /// <summary>
    /// Opens (or creates) the log in <see cref="FileDecisionLogOptions.Directory"/>: loads the newest snapshot, replays
    /// the records after it, and keeps every COMMIT without an END as an unfinished decision.
    /// </summary>
    public static FileDecisionLog Open(FileDecisionLogOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var log = new FileDecisionLog(options, logger);
        log._machine = LoggedStateMachine.Open(
            options.Directory,
            options.Durability,
            options.SegmentBytes,
            log,
            log._gate,
            message => Log.DecisionLogTornTail(log._logger, message),
            options.FileSystem,
            options.OnStorageFailure);
        log._wal = log._machine.Wal;
        log._recordsSinceCompaction = log._machine.RecordsReplayed;
        Log.DecisionLogOpened(log._logger, options.Directory, log._machine.FromSegment, log._machine.RecordsReplayed, log._unfinished.Count);
        return log;
    }

    /// <inheritdoc/>
    public async ValueTask WriteCommitAsync(CommitDecision decision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var buffer = new ArrayBufferWriter<byte>(64 + (decision.Participants.Length * 32));
        DecisionCodec.Write(buffer, decision);
        Task durable;
        lock (_gate)
        {
            durable = _wal.Append(CommitRecord, buffer.WrittenSpan);
            _unfinished[decision.TxId] = decision;
            _recordsSinceCompaction++;
        }

        // Not cancellable: once appended, the record becomes durable whatever the caller does.
        if (!Executor.IsPlanted(PlantedBug.DecisionNotDurable))
        {
            await durable.ConfigureAwait(false);
        }

        Log.DecisionDurable(_logger, decision.TxId, decision.Participants.Length, decision.CommitTimestamp);
    }

    /// <inheritdoc/>
    public void WriteEnd(TxId txId)
    {
        Span<byte> payload = stackalloc byte[16];
        txId.WriteTo(payload);
        bool compact;
        lock (_gate)
        {
            if (!_unfinished.Remove(txId))
            {
                return;
            }

            try
            {
                // A lost END only makes a restarted coordinator repeat phase two, which is idempotent; so it asks for
                // no fsync of its own and rides with the next decision's.
                _ = _wal.AppendDeferred(EndRecord, payload);
            }
            catch (CohortException e)
            {
                Log.EndNotWritten(_logger, txId, e.Message);
                return;
            }

            compact = ++_recordsSinceCompaction >= _options.CompactAfterRecords && _compaction.IsCompleted && Volatile.Read(ref _disposed) == 0;
            if (compact)
            {
                _recordsSinceCompaction = 0;
                _compaction = Executor.Current.Run(CompactInBackgroundAsync);
            }
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<CommitDecision> GetUnfinished()
    {
        lock (_gate)
        {
            return [.. _unfinished.Values];
        }
    }

    /// <summary>Closes the log after writing what is pending.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Task compaction;
        lock (_gate)
        {
            compaction = _compaction;
        }

        await compaction.ConfigureAwait(false);
        await _compactGate.WaitAsync().ConfigureAwait(false);
        try
        {
            await _machine.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            // A compaction that was waiting for the gate now finds the log closed and throws ObjectDisposedException.
            _compactGate.Release();
        }
    }

    void ILoggedState.Apply(WalRecord record)
    {
        var reader = new SpanReader(record.Payload.Span);
        switch (record.Type)
        {
            case CommitRecord:
                var decision = DecisionCodec.Read(ref reader);
                _unfinished[decision.TxId] = decision;
                break;
            case EndRecord:
                _unfinished.Remove(reader.ReadTxId());
                break;
            default:
                throw new CohortException(ErrorCodes.Corruption, $"Unknown decision-log record type {record.Type} at segment {record.Segment} offset {record.Offset} in '{_options.Directory}'.", isTransient: false);
        }
    }
}
