using System.Buffers;
using Cohort.Storage.Encoding;
using Cohort.Storage.StateMachines;

namespace Cohort.Coordination;

/// <content>Compaction: a snapshot of the unfinished decisions replaces the segments before it.</content>
public sealed partial class FileDecisionLog
{
    /// <summary>
    /// Writes the unfinished decisions to a snapshot and deletes the log segments it covers, so the log's size
    /// follows the number of unfinished decisions, not the number ever made. Runs on its own after
    /// <see cref="FileDecisionLogOptions.CompactAfterRecords"/> records; callable at any time.
    /// </summary>
    public async Task CompactAsync(CancellationToken cancellationToken = default)
    {
        await _compactGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Disposing takes the gate for good: a compaction queued behind it finds the log closed.
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            var checkpoint = await _machine.CheckpointAsync(cancellationToken).ConfigureAwait(false);
            CompactionCount++;
            Log.DecisionLogCompacted(_logger, checkpoint.Segment, checkpoint.SnapshotBytes, checkpoint.DeletedSegments);
        }
        finally
        {
            _compactGate.Release();
        }
    }

    private async Task CompactInBackgroundAsync()
    {
        try
        {
            await CompactAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or Cohort.Core.CohortException or ObjectDisposedException)
        {
            Log.DecisionLogCompactionFailed(_logger, e);
        }
    }

    // Under _gate, right after the log rotated (LoggedStateMachine.CheckpointAsync).
    ReadOnlyMemory<byte> ILoggedState.WriteSnapshot()
    {
        var writer = new ArrayBufferWriter<byte>(1024 + (_unfinished.Count * 96));
        writer.WriteByte(SnapshotFormat);
        writer.WriteVarUInt((ulong)_unfinished.Count);
        foreach (var decision in _unfinished.Values)
        {
            DecisionCodec.Write(writer, decision);
        }

        _recordsSinceCompaction = 0;
        return writer.WrittenMemory;
    }

    void ILoggedState.LoadSnapshot(byte[] payload)
    {
        var reader = new SpanReader(payload);
        var format = reader.ReadByte();
        if (format != SnapshotFormat)
        {
            throw new Cohort.Core.CohortException(Cohort.Core.ErrorCodes.Corruption, $"Decision-log snapshot in '{_options.Directory}' has unknown format {format}.", isTransient: false);
        }

        var count = reader.ReadVarUInt();
        for (ulong i = 0; i < count; i++)
        {
            var decision = DecisionCodec.Read(ref reader);
            _unfinished[decision.TxId] = decision;
        }
    }
}
