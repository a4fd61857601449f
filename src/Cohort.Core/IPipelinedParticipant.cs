namespace Cohort.Core;

/// <summary>
/// An engine that can run a batch's operations and prepare in fewer steps than one call each, e.g. by sending the last
/// operation and the prepare to its database in one round trip. Participant hosts use it for batches that end with a
/// prepare; the outcome must be exactly that of <see cref="ITransactionalEngine.ApplyAsync"/> for each operation
/// followed by <see cref="ITransactionalEngine.PrepareAsync"/>.
/// </summary>
public interface IPipelinedParticipant
{
    /// <summary>Runs <paramref name="operations"/> in transaction <paramref name="tx"/>, then prepares it.</summary>
    /// <returns>The operations' results and the vote (results are empty when the vote is No).</returns>
    /// <exception cref="CohortException">An operation failed; the transaction is aborted, as after a failed apply.</exception>
    ValueTask<(IReadOnlyList<Value> Results, Vote Vote)> ApplyAndPrepareAsync(TransactionContext tx, IReadOnlyList<Operation> operations, PrepareInfo info, CancellationToken cancellationToken);
}
