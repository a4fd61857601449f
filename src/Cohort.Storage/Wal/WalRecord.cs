namespace Cohort.Storage.Wal;

/// <summary>One record read back during recovery.</summary>
/// <param name="Type">The record type the writer chose.</param>
/// <param name="Payload">The payload bytes.</param>
/// <param name="Segment">The segment index.</param>
/// <param name="Offset">The byte offset of the record in its segment.</param>
public readonly record struct WalRecord(byte Type, ReadOnlyMemory<byte> Payload, long Segment, long Offset);
