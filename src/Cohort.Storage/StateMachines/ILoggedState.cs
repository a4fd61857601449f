using Cohort.Storage.Wal;

namespace Cohort.Storage.StateMachines;

/// <summary>
/// State kept durable by a <see cref="LoggedStateMachine"/>: rebuilt from a snapshot plus the log records after it.
/// The owner changes the state and appends the record of the change under one lock (the one it gives the machine).
/// </summary>
public interface ILoggedState
{
    /// <summary>Loads a snapshot that <see cref="WriteSnapshot"/> wrote; called once, at open, before any <see cref="Apply"/>.</summary>
    void LoadSnapshot(byte[] payload);

    /// <summary>Applies one log record during recovery, in log order.</summary>
    void Apply(WalRecord record);

    /// <summary>
    /// Serializes the whole state. Called under the owner's lock right after the log rotated, so the snapshot covers
    /// exactly the records of the segments before the new one.
    /// </summary>
    ReadOnlyMemory<byte> WriteSnapshot();
}
