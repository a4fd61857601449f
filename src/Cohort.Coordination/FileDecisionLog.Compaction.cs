using System.Buffers;
using Cohort.Storage.Encoding;

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
            long segment;
            ReadOnlyMemory<byte> payload;
            Task flushed;
            lock (_gate)
            {
                segment = _wal.Rotate();
                var writer = new ArrayBufferWriter<byte>(1024 + (_unfinished.Count * 96));
                writer.WriteByte(SnapshotFormat);
                writer.WriteVarUInt((ulong)_unfinished.Count);
                foreach (var decision in _unfinished.Values)
                {
                    DecisionCodec.Write(writer, decision);
                }

                payload = writer.WrittenMemory;
                _recordsSinceCompaction = 0;
                flushed = _wal.FlushAsync();
            }

            // The snapshot may hold decisions whose records are still in flight; let them land first so the
            // snapshot never claims a decision the log has not made durable.
            await flushed.ConfigureAwait(false);
            await _snapshots.WriteAsync(segment, payload, cancellationToken).ConfigureAwait(false);
            var deleted = _wal.DeleteSegmentsBefore(segment);
            CompactionCount++;
            Log.DecisionLogCompacted(_logger, segment, payload.Length, deleted);
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

    private void LoadSnapshot(byte[] payload)
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
