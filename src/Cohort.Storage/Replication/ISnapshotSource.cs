namespace Cohort.Storage.Replication;

/// <summary>The replicated state's side of a <see cref="Replicator"/>: a snapshot taken at a point of its log.</summary>
public interface ISnapshotSource
{
    /// <summary>
    /// Takes the state's lock (the one its log appends happen under), serializes the whole state and calls
    /// <paramref name="atThisPoint"/> with it before releasing the lock, so that what <paramref name="atThisPoint"/> does
    /// is ordered against the log exactly at the snapshot.
    /// </summary>
    void Capture(Action<ReadOnlyMemory<byte>> atThisPoint);
}
