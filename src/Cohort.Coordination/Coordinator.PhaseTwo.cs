using Cohort.Core;
using Cohort.Core.Execution;
using Cohort.Protocol;

namespace Cohort.Coordination;

/// <content>Delivering outcomes: phase two until every participant acknowledged, aborts, in-doubt one-phase commits.</content>
public sealed partial class Coordinator
{
    /// <summary>Decided commits whose phase two has not finished yet (see <see cref="CoordinatorOptions.PhaseTwoBacklog"/>).</summary>
    public int PhaseTwoPending => Volatile.Read(ref _phaseTwoPending);

    /// <summary>Commits whose caller waited for their own phase two because the backlog was full (since start).</summary>
    public long PhaseTwoWaitCount => Interlocked.Read(ref _phaseTwoWaits);

    // Phase two of a decided commit, in the background; pending from this call (not from when a thread picks it up, so
    // the next commit's check of the backlog sees it) until every participant acknowledged or the coordinator stops.
    private Task StartPhaseTwo(CoordinatorTransaction tx, CommitDecision decision)
    {
        Interlocked.Increment(ref _phaseTwoPending);
        return RunTracked(async () =>
        {
            try
            {
                await DriveCommitAsync(tx, decision).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _phaseTwoPending);
            }
        });
    }

    private async Task DriveCommitAsync(CoordinatorTransaction tx, CommitDecision decision)
    {
        using var activity = Span("cohort.coordinator.phase_two", tx.Id);
        var started = _time.GetTimestamp();
        bool[] acknowledged;
        using (var timeout = MessageTimeout())
        {
            // The first attempts share one timeout; a retry gets its own.
            var commits = new Task<bool>[decision.Participants.Length];
            for (var i = 0; i < commits.Length; i++)
            {
                commits[i] = CommitUntilAcknowledgedAsync(tx, decision, decision.Participants[i], timeout.Token);
            }

            acknowledged = await Task.WhenAll(commits).ConfigureAwait(false);
        }

        if (Array.IndexOf(acknowledged, false) >= 0)
        {
            // A participant refused a decided commit (or we are stopping): keep the decision unfinished so a
            // restart tries again and status queries show it.
            return;
        }

        PhaseTwoLatency.Record(_time.GetElapsedTime(started));
        _log.WriteEnd(decision.TxId);
        lock (tx.Sync)
        {
            tx.TransitionTo(TransactionState.Committed);
        }

        RememberFinished(tx);
        Log.Ended(_logger, tx.Id);
    }

    // firstTimeout bounds the first attempt (shared with the other participants' first attempts).
    private async Task<bool> CommitUntilAcknowledgedAsync(CoordinatorTransaction tx, CommitDecision decision, Participant participant, CancellationToken firstTimeout)
    {
        var request = new CommitRequest(decision.TxId, Epoch, participant.Resource, decision.CommitTimestamp, decision.Participants);
        var backoff = RetryBackoff();
        for (var attempt = 1; !_stopping.IsCancellationRequested; attempt++)
        {
            try
            {
                using var timeout = attempt == 1 ? null : MessageTimeout();
                await _transport.CommitAsync(HomeOf(participant), Termed(request), timeout?.Token ?? firstTimeout).ConfigureAwait(false);
                MarkAcknowledged(tx, participant.Resource);
                CrashPoints.Hit(CrashPoints.CoordinatorDuringPhaseTwo);
                return true;
            }
            catch (CohortException e) when (e.Code is ErrorCodes.Aborted)
            {
                // A participant that voted Yes must never abort on its own: this is a broken promise, not a retryable fault.
                Log.CommitRefused(_logger, tx.Id, participant.Resource, e.Message);
                return false;
            }
            catch (Exception e) when (Delivery.Failed(e))
            {
                if (_stopping.IsCancellationRequested)
                {
                    return false;
                }

                if (Executor.IsPlanted(PlantedBug.PhaseTwoNotRetried))
                {
                    return true;
                }

                Log.CommitRetry(_logger, tx.Id, participant.Resource, attempt, e.Message);
            }

            try
            {
                await DelayAsync(backoff.Next()).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        return false;
    }

    private void MarkAcknowledged(CoordinatorTransaction tx, string resource)
    {
        lock (tx.Sync)
        {
            if (tx.Find(resource) is { } entry)
            {
                entry.Acknowledged = true;
            }

            // A read-only participant's release can be acknowledged after the transaction was remembered as finished
            // (RememberFinished copies it under the same lock): update what is kept as well.
            if (_finished.TryGetValue(tx.Id, out var finished))
            {
                _finished.Set(tx.Id, finished.WithAcknowledged(resource));
            }
        }
    }

    private async Task SendAbortsAsync(TxId txId, List<Participant> participants)
    {
        await Task.WhenAll(participants.Select(p => AbortOneAsync(txId, p))).ConfigureAwait(false);
    }

    private Task AbortOneAsync(TxId txId, Participant participant) => DeliverBoundedAsync(
        token => _transport.AbortAsync(HomeOf(participant), Termed(new AbortRequest(txId, Epoch, participant.Resource)), token),
        // Presumed abort: a prepared participant that missed this asks and is told "aborted"; an active one drops the
        // transaction at its deadline.
        error => Log.AbortNotDelivered(_logger, txId, participant.Resource, error));

    // Sends a message that may be lost without harm (the receiver learns the outcome by asking), retrying with backoff
    // at most AbortAttempts times; returns whether it was delivered.
    private async Task<bool> DeliverBoundedAsync(Func<CancellationToken, ValueTask> send, Action<string> giveUp)
    {
        var backoff = RetryBackoff();
        for (var attempt = 1; attempt <= _options.AbortAttempts && !_stopping.IsCancellationRequested; attempt++)
        {
            try
            {
                using var timeout = MessageTimeout();
                await send(timeout.Token).ConfigureAwait(false);
                return true;
            }
            catch (Exception e) when (Delivery.Failed(e))
            {
                if (attempt == _options.AbortAttempts || _stopping.IsCancellationRequested)
                {
                    giveUp(e.Message);
                    return false;
                }
            }

            try
            {
                await DelayAsync(backoff.Next()).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        return false;
    }

    // Asks the single writer again until it says whether the one-phase commit happened. "Not committed" is only
    // believed once the deadline has passed: before that the original message may still be on its way.
    private async Task ResolveOnePhaseAsync(CoordinatorTransaction tx, ParticipantEntry writer, OnePhaseCommitRequest request)
    {
        var backoff = RetryBackoff();
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await DelayAsync(backoff.Next()).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var pastDeadline = _time.GetUtcNow() >= tx.Deadline;
            using var timeout = MessageTimeout();
            HlcTimestamp committedAt;
            try
            {
                committedAt = await _transport.CommitOnePhaseAsync(HomeOf(writer.Participant), Termed(request), timeout.Token).ConfigureAwait(false);
            }
            catch (CohortException e) when (e.NeverRan)
            {
                // configuration_moved refuses this attempt only (a replicated resource's node and this coordinator see
                // different terms): what the resource holds is not its answer, so it is asked again.
                if (!pastDeadline || e.Code == ErrorCodes.ConfigurationMoved)
                {
                    continue;
                }

                Resolve(tx, TransactionState.Aborted, TxOutcome.Aborted($"{writer.Resource}: {e.Code}: {e.Message}", e.Code));
                List<Participant> participants;
                lock (tx.Sync)
                {
                    // The writer, and the readers that kept their locks for the outcome.
                    participants = [.. tx.Participants.Where(p => p == writer || p.HoldsReadLocks).Select(p => p.Participant)];
                }

                Track(() => SendAbortsAsync(tx.Id, participants));
                return;
            }
            catch (Exception e) when (Delivery.Failed(e))
            {
                Log.OnePhaseUnconfirmed(_logger, tx.Id, writer.Resource, e.Message);
                continue;
            }

            _clock.Observe(committedAt);
            lock (tx.Sync)
            {
                writer.Acknowledged = true;
            }

            Resolve(tx, TransactionState.Committed, TxOutcome.Committed(committedAt));
            ReleaseReaders(tx, committedAt);
            return;
        }
    }

    private void Resolve(CoordinatorTransaction tx, TransactionState state, TxOutcome outcome)
    {
        lock (tx.Sync)
        {
            tx.TransitionTo(state);
            tx.Outcome = outcome;
            tx.Reason = outcome.Reason;
        }

        Outcomes.Record(outcome);
        Log.InDoubtResolved(_logger, tx.Id, outcome.StatusName);
        RememberFinished(tx);
    }
}
