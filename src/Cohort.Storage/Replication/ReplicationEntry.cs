namespace Cohort.Storage.Replication;

/// <summary>What a <see cref="ReplicationEntry"/> carries.</summary>
public enum ReplicationEntryKind : byte
{
    /// <summary>One log record: the replica appends it to its own log.</summary>
    Record = 1,

    /// <summary>
    /// A snapshot the primary took at this point of its log: the replica starts a new log segment here, writes the
    /// snapshot for it and deletes the segments before it (its copy of the primary's checkpoint).
    /// </summary>
    Snapshot = 2,

    /// <summary>
    /// The whole state at this point: the replica discards what it had and starts from this snapshot (how a replica
    /// catches up, and how a new primary brings every replica to its own history).
    /// </summary>
    Reset = 3,
}

/// <summary>One entry of the stream a primary ships to its replicas, numbered densely from the stream's first reset.</summary>
/// <param name="Sequence">Its position in the stream.</param>
/// <param name="Kind">Record, snapshot or reset.</param>
/// <param name="RecordType">The log record type (records only).</param>
/// <param name="Payload">The record payload or the snapshot.</param>
public readonly record struct ReplicationEntry(long Sequence, ReplicationEntryKind Kind, byte RecordType, ReadOnlyMemory<byte> Payload);
