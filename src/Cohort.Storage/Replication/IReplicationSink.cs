namespace Cohort.Storage.Replication;

/// <summary>
/// Where a <see cref="StateMachines.LoggedStateMachine"/> sends what it logs when its state is replicated (a
/// <see cref="Replicator"/>).
/// </summary>
public interface IReplicationSink
{
    /// <summary>
    /// Ships one record or snapshot. Called under the state's lock, in log order, right after the local append; must
    /// not block. The task completes once every replica of the current configuration holds the entry durably (a
    /// snapshot's task may be ignored), and fails with <see cref="ReplicationFencedException"/> once this primary was
    /// superseded.
    /// </summary>
    Task Ship(ReplicationEntryKind kind, byte recordType, ReadOnlySpan<byte> payload);
}
