using Cohort.Coordination;

namespace Cohort.Tests.Coordination;

/// <summary>A decision log whose writes fail (as a failed fsync would) while <see cref="Failing"/> is set.</summary>
internal sealed class FailingDecisionLog(IDecisionLog inner) : IDecisionLog
{
    public bool Failing { get; set; } = true;

    public ValueTask WriteCommitAsync(CommitDecision decision, CancellationToken cancellationToken) =>
        Failing ? ValueTask.FromException(new IOException("simulated fsync failure")) : inner.WriteCommitAsync(decision, cancellationToken);

    public void WriteEnd(TxId txId) => inner.WriteEnd(txId);

    public IReadOnlyList<CommitDecision> GetUnfinished() => inner.GetUnfinished();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
