using Cohort.Core;

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
}
