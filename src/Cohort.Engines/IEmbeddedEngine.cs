using Cohort.Core;
using Cohort.Storage.Replication;

namespace Cohort.Engines;

/// <summary>What the embedded engines add to the participant contract: snapshots and maintenance on demand.</summary>
public interface IEmbeddedEngine : ITransactionalEngine
{
    /// <summary>Writes a snapshot and deletes the log segments it covers.</summary>
    Task SnapshotAsync(CancellationToken cancellationToken);

    /// <summary>Expires overdue transactions and collects old versions once.</summary>
    void RunMaintenance();

    /// <summary>Number of transactions not yet finished (active, prepared, committing).</summary>
    int ActiveTransactionCount { get; }

    /// <summary>Snapshots of the whole state at a point of the log, for a <see cref="Replicator"/> bringing a replica up.</summary>
    ISnapshotSource SnapshotSource { get; }

    /// <summary>
    /// Ships every record and snapshot logged from now on to <paramref name="sink"/> (null stops it); a prepare then
    /// votes Yes, and a commit answers, only once the sink says every replica holds the record.
    /// </summary>
    void Replicate(IReplicationSink? sink);
}
