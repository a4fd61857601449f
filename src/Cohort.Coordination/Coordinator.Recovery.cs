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
        Redrive(unfinished);
        _recovered = true;
        Log.Recovered(_logger, NodeId, Epoch, unfinished.Count);
        return Task.FromResult(unfinished.Count);
    }

    /// <summary>
    /// For a leader on a shared decision log (<see cref="ISharedDecisionLog"/>): reads every unfinished decision in it
    /// again — its predecessors' included, whose coordinators may be gone for good — and re-drives phase two of each
    /// one this coordinator is not already driving. Does nothing on a log of its own.
    /// </summary>
    /// <returns>The number of decisions taken over.</returns>
    /// <exception cref="CohortException"><c>unavailable</c> when the shared log cannot be read now.</exception>
    public async Task<int> AdoptUnfinishedAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (_log is not ISharedDecisionLog shared)
        {
            return 0;
        }

        var unfinished = await shared.ReloadAsync(cancellationToken).ConfigureAwait(false);
        var adopted = Redrive(unfinished);
        Log.Adopted(_logger, NodeId, Epoch, adopted, unfinished.Count);
        return adopted;
    }

    // Phase two of every decision not already live here, in the background.
    private int Redrive(IReadOnlyList<CommitDecision> decisions)
    {
        var now = _time.GetUtcNow();
        var count = 0;
        foreach (var decision in decisions)
        {
            _clock.Observe(decision.CommitTimestamp);
            if (_transactions.ContainsKey(decision.TxId))
            {
                continue;
            }

            // Born committing: the decision is durable, so the transaction never was active here.
            var tx = new CoordinatorTransaction(decision.TxId, null, now, TransactionState.Committing, _time);
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
                count++;
                Log.Redriving(_logger, decision.TxId, decision.Participants.Length, decision.Epoch);
                _ = StartPhaseTwo(tx, decision);
            }
        }

        return count;
    }

    /// <summary>
    /// The decision on <paramref name="txId"/> for a participant holding it prepared. On a log of this coordinator's own
    /// it is <see cref="QueryDecision(TxId)"/>'s. On a shared log, what this coordinator does not know for sure — a transaction
    /// not begun here (another coordinator's, or this one's before a restart) or one whose decision write ended in doubt —
    /// is looked up in the log, and settled there by the leader: the recorded decision, or an abort it records fenced by
    /// its epoch. A coordinator that does not lead answers pending for what the log does not hold (ask the leader).
    /// </summary>
    public async ValueTask<DecisionAnswer> QueryDecisionAsync(TxId txId, CancellationToken cancellationToken = default)
    {
        var answer = QueryDecision(txId, out var known);
        if (known || _log is not ISharedDecisionLog shared)
        {
            return answer;
        }

        _transactions.TryGetValue(txId, out var live);
        answer = IsLeader
            ? await shared.SettleAsync(txId, Epoch, cancellationToken).ConfigureAwait(false)
            : await shared.ReadAsync(txId, cancellationToken).ConfigureAwait(false);
        if (live is not null)
        {
            SettleInDoubt(live, answer);
        }
        else if (answer.Kind == DecisionAnswerKind.Aborted && IsLeader && !_finished.TryGetValue(txId, out _))
        {
            // Settled here for a coordinator that is gone: status queries to this node now find the outcome.
            _finished.TryAdd(txId, FinishedTransaction.Settled(TransactionState.Aborted, "no decision was recorded before its coordinator was deposed; aborted by the new leader"));
        }

        Log.DecisionSettled(_logger, txId, answer.Kind.ToString(), IsLeader);
        return answer;
    }

    /// <summary>
    /// On a shared log, tries to settle every transaction whose decision write ended in doubt here (the write may or may
    /// not have been recorded): the log says which, or the leader records an abort. Returns how many were settled.
    /// </summary>
    public async Task<int> SettleInDoubtAsync(CancellationToken cancellationToken = default)
    {
        if (_log is not ISharedDecisionLog)
        {
            return 0;
        }

        var settled = 0;
        foreach (var tx in _transactions.Values)
        {
            if (tx.State == TransactionState.InDoubt && tx.Decision is not null)
            {
                try
                {
                    var answer = await QueryDecisionAsync(tx.Id, cancellationToken).ConfigureAwait(false);
                    settled += answer.Kind == DecisionAnswerKind.Pending ? 0 : 1;
                }
                catch (CohortException e) when (e.IsTransient || e.Code == ErrorCodes.NoLeader)
                {
                    // The next sweep tries again.
                }
            }
        }

        return settled;
    }

    // A transaction whose decision write ended in doubt, now known from the shared log.
    private void SettleInDoubt(CoordinatorTransaction tx, DecisionAnswer answer)
    {
        CommitDecision? decision = null;
        List<Participant>? aborts = null;
        lock (tx.Sync)
        {
            if (tx.State != TransactionState.InDoubt || tx.Decision is null)
            {
                return;
            }

            if (answer.Kind == DecisionAnswerKind.Committed)
            {
                decision = tx.Decision;
                tx.TransitionTo(TransactionState.Committing);
                tx.Outcome = TxOutcome.Committed(decision.CommitTimestamp);
                Outcomes.Record(tx.Outcome.Value);
            }
            else if (answer.Kind == DecisionAnswerKind.Aborted)
            {
                tx.TransitionTo(TransactionState.Aborted);
                tx.Reason = "the decision was not recorded before the coordinator lost its leadership";
                tx.Outcome = TxOutcome.Aborted(tx.Reason, ErrorCodes.Aborted);
                Outcomes.Record(tx.Outcome.Value);
                aborts = [.. tx.Participants.Select(p => p.Participant)];
            }
        }

        if (decision is not null)
        {
            Log.InDoubtSettled(_logger, tx.Id, "committed");
            _ = StartPhaseTwo(tx, decision);

            // As after a decision written at once: the readers that kept their locks learn the commit timestamp now,
            // rather than holding them until their deadline passes and they ask.
            ReleaseReaders(tx, decision.CommitTimestamp);
        }
        else if (aborts is not null)
        {
            Log.InDoubtSettled(_logger, tx.Id, "aborted");
            RememberFinished(tx);
            if (aborts.Count > 0)
            {
                Track(() => SendAbortsAsync(tx.Id, aborts));
            }
        }
    }

    /// <summary>
    /// The decision on <paramref name="txId"/> for a participant holding it prepared: committed (with the timestamp),
    /// aborted — also when no decision exists and the transaction is not active here (presumed abort) — or pending.
    /// </summary>
    public DecisionAnswer QueryDecision(TxId txId) => QueryDecision(txId, out _);

    // Known: the answer stands on this coordinator's own knowledge — not a presumed abort of a transaction it never saw,
    // nor the "pending" of one whose decision write ended in doubt (either may be settled in a shared log).
    private DecisionAnswer QueryDecision(TxId txId, out bool known)
    {
        DecisionAnswer answer;
        known = true;
        if (!_recovered)
        {
            answer = DecisionAnswer.Pending;
        }
        else if (!_transactions.TryGetValue(txId, out var tx))
        {
            // Finished here (committed ones keep their commit timestamp: the decision's, or for a one-phase or
            // read-only commit the one it committed at, which a read-only participant still holding locks asks for),
            // or never decided: presumed abort.
            var found = _finished.TryGetValue(txId, out var finished);
            known = found;
            answer = found && finished.State == TransactionState.Committed
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
                known = tx.State != TransactionState.InDoubt || tx.Decision is null;
            }
        }

        Log.DecisionQueried(_logger, txId, answer.Kind.ToString());
        return answer;
    }
}
