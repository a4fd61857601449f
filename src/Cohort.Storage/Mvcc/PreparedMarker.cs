using Cohort.Core;
using Cohort.Core.Execution;

namespace Cohort.Storage.Mvcc;

/// <summary>
/// Marks the keys a prepared transaction will write. A snapshot read at T that meets a marker with
/// <see cref="PrepareTimestamp"/> ≤ T waits for <see cref="Resolved"/>: the transaction may commit at a
/// timestamp ≤ T, and answering before it decides would give a fractured read.
/// </summary>
public sealed class PreparedMarker
{
    private readonly Promise _resolved = new();

    /// <summary>Creates a marker for transaction <paramref name="id"/> prepared at <paramref name="prepareTimestamp"/>.</summary>
    public PreparedMarker(TxId id, HlcTimestamp prepareTimestamp)
    {
        Id = id;
        PrepareTimestamp = prepareTimestamp;
    }

    /// <summary>The prepared transaction.</summary>
    public TxId Id { get; }

    /// <summary>Its prepare timestamp (its commit timestamp will be at or after it).</summary>
    public HlcTimestamp PrepareTimestamp { get; }

    /// <summary>Completes when the transaction has committed (versions installed) or aborted.</summary>
    public Task Resolved => _resolved.Task;

    /// <summary>Signals waiting readers; call after the outcome is visible in the store.</summary>
    public void Resolve() => _resolved.TrySetResult();

    /// <summary>
    /// Fails waiting readers: the outcome cannot be known in this process (the log failed while the
    /// commit was being written). Readers get the error instead of a guess or an endless wait.
    /// </summary>
    public void Fail(Exception error) => _resolved.TrySetException(error);
}
