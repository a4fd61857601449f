using Cohort.Core;

namespace Cohort.Coordination;

/// <summary>
/// The coordinator's durable record of commit decisions (presumed abort: aborts are never recorded).
/// A decision is written before any client hears "committed"; an END follows once every participant
/// acknowledged phase two.
/// </summary>
public interface IDecisionLog : IAsyncDisposable
{
    /// <summary>Makes a commit decision durable; completes only after it is (concurrent writers share one flush).</summary>
    /// <exception cref="Exception">The write failed: the decision may or may not be durable.</exception>
    ValueTask WriteCommitAsync(CommitDecision decision, CancellationToken cancellationToken);

    /// <summary>Records that phase two of <paramref name="txId"/> finished. Not awaited for durability: a lost END only repeats phase two.</summary>
    void WriteEnd(TxId txId);

    /// <summary>Every decision without an END, as found when the log was opened plus those written since.</summary>
    IReadOnlyList<CommitDecision> GetUnfinished();
}
