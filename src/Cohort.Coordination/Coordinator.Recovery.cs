using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Coordination;

/// <content>Recovery after a restart, and the decision queries of the termination protocol.</content>
public sealed partial class Coordinator
{
    private volatile bool _recovered;

    /// <summary>Whether <see cref="RecoverAsync"/> has run (before that, decision queries answer "pending").</summary>
    public bool IsRecovered => _recovered;

    /// <summary>
    /// Loads every decision the log holds without an END and re-drives its phase two in the background. Until this
    /// has run, participants asking about a transaction are told to ask again (never "aborted").
    /// </summary>
    /// <returns>The number of decisions being re-driven.</returns>
    public Task<int> RecoverAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        var unfinished = _log.GetUnfinished();
        var now = _time.GetUtcNow();
        foreach (var decision in unfinished)
        {
            _clock.Observe(decision.CommitTimestamp);
            // Born committing: the decision is durable, so the transaction never was active here.
            var tx = new CoordinatorTransaction(decision.TxId, null, now, TransactionState.Committing);
            var outcome = TxOutcome.Committed(decision.CommitTimestamp);
            lock (tx.Sync)
            {
                tx.Decision = decision;
                tx.Outcome = outcome;
                foreach (var p in decision.Participants)
                {
                    tx.Participants.Add(new ParticipantEntry(p.Resource, p.Node) { MayWrite = true, Vote = VoteKind.Yes });
                }
            }

            tx.Completion.TrySetResult(outcome);
            if (_transactions.TryAdd(decision.TxId, tx))
            {
                Log.Redriving(_logger, decision.TxId, decision.Participants.Length, decision.Epoch);
                _ = StartPhaseTwo(tx, decision);
            }
        }

        _recovered = true;
        Log.Recovered(_logger, NodeId, Epoch, unfinished.Count);
        return Task.FromResult(unfinished.Count);
    }

    /// <summary>
    /// The decision on <paramref name="txId"/> for a participant holding it prepared: committed (with the timestamp),
    /// aborted — also when no decision exists and the transaction is not active here (presumed abort) — or pending.
    /// </summary>
    public DecisionAnswer QueryDecision(TxId txId)
    {
        DecisionAnswer answer;
        if (!_recovered)
        {
            answer = DecisionAnswer.Pending;
        }
        else if (!_transactions.TryGetValue(txId, out var tx))
        {
            // Finished here (committed ones keep their commit timestamp: the decision's, or for a one-phase or
            // read-only commit the one it committed at, which a read-only participant still holding locks asks for),
            // or never decided: presumed abort.
            answer = _finished.TryGetValue(txId, out var finished) && finished.State == TransactionState.Committed
                ? DecisionAnswer.Committed(finished.Decided?.CommitTimestamp ?? finished.Outcome.CommitTimestamp)
                : DecisionAnswer.Aborted;
        }
        else
        {
            lock (tx.Sync)
            {
                answer = tx.State switch
                {
                    TransactionState.Committing or TransactionState.Committed when tx.Decision is { } d => DecisionAnswer.Committed(d.CommitTimestamp),
                    TransactionState.Committed when tx.Outcome is { IsCommitted: true } o => DecisionAnswer.Committed(o.CommitTimestamp),
                    TransactionState.Aborted => DecisionAnswer.Aborted,

                    // Active, preparing (a decision may be being written), in doubt: not known yet.
                    _ => DecisionAnswer.Pending,
                };
            }
        }

        Log.DecisionQueried(_logger, txId, answer.Kind.ToString());
        return answer;
    }
}
