using System.Diagnostics;
using Cohort.Core;
using Cohort.Core.Diagnostics;
using Cohort.Core.Execution;
using Cohort.Protocol;

namespace Cohort.Coordination;

/// <content>Commit: no participants, one-phase commit of a single writer, two-phase commit of several.</content>
public sealed partial class Coordinator
{
    /// <summary>
    /// Commits transaction <paramref name="txId"/>. Once started, commit runs to its end whatever happens to the
    /// caller; a repeated call returns the same outcome.
    /// </summary>
    /// <returns>
    /// Committed once the decision is durable (phase two continues in the background), aborted when the transaction
    /// can never commit, in-doubt otherwise (query <see cref="GetStatus"/> later).
    /// </returns>
    /// <exception cref="CohortException"><c>unknown_transaction</c> when the id is not known here.</exception>
    public async ValueTask<TxOutcome> CommitAsync(TxId txId, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (!_transactions.TryGetValue(txId, out var tx))
        {
            // Finished (a repeated call gets the same outcome) or unknown.
            return _finished.TryGetValue(txId, out var finished) ? finished.Outcome : throw Unknown(txId);
        }

        // Waiting for the gate lets an operation in flight finish first, so commit sees every participant.
        await tx.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        bool start;
        try
        {
            lock (tx.Sync)
            {
                start = tx.State == TransactionState.Active;
                if (start)
                {
                    tx.TransitionTo(TransactionState.Preparing);
                }
            }
        }
        finally
        {
            tx.Gate.Release();
        }

        if (!start)
        {
            var known = CurrentOutcome(tx);
            return known is { IsInDoubt: false } ? known.Value : await tx.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            tx.CommitStarted = _time.GetTimestamp();
            return await RunCommitAsync(tx).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Never leave the transaction "preparing" (participants would wait forever): before a decision was
            // attempted it can still be aborted; after, only the log knows, so it is in doubt.
            bool decisionAttempted;
            lock (tx.Sync)
            {
                decisionAttempted = tx.Decision is not null;
            }

            Log.CommitFailed(_logger, tx.Id, e);
            return decisionAttempted
                ? Finish(tx, TransactionState.InDoubt, TxOutcome.InDoubt($"commit failed after the decision was attempted: {e.Message}"), e.Message)
                : AbortEverywhere(tx, $"commit failed before a decision: {e.Message}");
        }
    }

    private async Task<TxOutcome> RunCommitAsync(CoordinatorTransaction tx)
    {
        List<ParticipantEntry> participants;
        lock (tx.Sync)
        {
            participants = [.. tx.Participants];
        }

        Log.CommitStarted(_logger, tx.Id, participants.Count, participants.Count(p => p.MayWrite));
        if (_time.GetUtcNow() >= tx.Deadline)
        {
            return AbortEverywhere(tx, $"deadline {tx.Deadline:O} passed before commit", ErrorCodes.Expired);
        }

        if (!IsLeader && !Executor.IsPlanted(PlantedBug.DeposedLeaderWrites))
        {
            // A deposed master starts no new prepare; the participants would refuse its epoch anyway.
            return AbortEverywhere(tx, $"{NodeId} is no longer the master (epoch {Epoch}); retry the transaction", ErrorCodes.Unavailable);
        }

        if (participants.Count == 0)
        {
            return Finish(tx, TransactionState.Committed, TxOutcome.Committed(_clock.Now()), null);
        }

        // Read-only participants keep their shared locks until the outcome reaches them when someone may write
        // (PrepareInfo.KeepReadLocks); a transaction that only reads releases them at the vote.
        var keepReadLocks = KeepsReadLocks(participants.Count, participants.Any(p => p.MayWrite));
        var votes = new List<(ParticipantEntry Participant, Vote Vote)>(participants.Count);
        var writers = participants.Where(p => p.MayWrite).ToList();
        if (writers.Count == 1)
        {
            var writer = writers[0];
            var readers = participants.Where(p => p != writer).ToList();

            // Readers first: once the writer has committed, nothing may make the transaction abort.
            votes.AddRange(await PrepareAllAsync(tx, readers, keepReadLocks).ConfigureAwait(false));
            if (FirstRefusal(votes) is { } refusal)
            {
                return AbortEverywhere(tx, refusal, RefusalCode(tx, votes));
            }

            if (votes.All(v => v.Vote.Kind == VoteKind.ReadOnly))
            {
                return await CommitOnePhaseAsync(tx, writer, votes).ConfigureAwait(false);
            }

            // A participant thought read-only wrote after all: it is prepared, so the writer must prepare too.
            votes.AddRange(await PrepareAllAsync(tx, [writer], keepReadLocks: true).ConfigureAwait(false));
        }
        else
        {
            votes.AddRange(await PrepareAllAsync(tx, participants, keepReadLocks).ConfigureAwait(false));
        }

        return await DecideAsync(tx, votes).ConfigureAwait(false);
    }

    // Several participants, one of which may write: a read-only one must not let a writer in before it has seen the commit
    // timestamp, or that writer could commit below it a value this transaction read the older version of.
    private static bool KeepsReadLocks(int participants, bool anyMayWrite) => participants > 1 && anyMayWrite;

    // All votes are in: abort on any No, commit without a decision when nobody wrote, else make the decision durable.
    private async Task<TxOutcome> DecideAsync(CoordinatorTransaction tx, List<(ParticipantEntry Participant, Vote Vote)> votes)
    {
        var no = FirstRefusal(votes);
        if (no is not null)
        {
            return AbortEverywhere(tx, no, RefusalCode(tx, votes));
        }

        // Every vote's timestamp, read-only ones included: each is later than every version the transaction read or
        // wrote at that participant, so the commit timestamp follows all of them.
        foreach (var (_, vote) in votes)
        {
            _clock.Observe(vote.PrepareTimestamp);
        }

        var yes = votes.Where(v => v.Vote.Kind == VoteKind.Yes).ToList();
        if (yes.Count == 0)
        {
            var readAt = _clock.Now();
            var read = Finish(tx, TransactionState.Committed, TxOutcome.Committed(readAt), null);
            ReleaseReaders(tx, readAt);
            return read;
        }

        lock (tx.Sync)
        {
            if (tx.AbortRequested)
            {
                no = "aborted by request during prepare";
            }
        }

        if (no is not null)
        {
            return AbortEverywhere(tx, no);
        }

        if (_time.GetUtcNow() >= tx.Deadline)
        {
            return AbortEverywhere(tx, $"deadline {tx.Deadline:O} passed before every participant voted", ErrorCodes.Expired);
        }

        var decision = new CommitDecision(tx.Id, [.. yes.Select(v => v.Participant.Participant)], _clock.Now(), Epoch);
        lock (tx.Sync)
        {
            // Still "preparing" to a participant asking: the decision is not durable yet.
            tx.Decision = decision;
        }

        CrashPoints.Hit(CrashPoints.CoordinatorAfterVotes);
        using (var activity = Span("cohort.coordinator.decision", tx.Id))
        {
            try
            {
                var writing = _time.GetTimestamp();
                await _log.WriteCommitAsync(decision, CancellationToken.None).ConfigureAwait(false);
                DecisionLatency.Record(_time.GetElapsedTime(writing));
            }
            catch (Exception e)
            {
                CohortTelemetry.Fail(activity, e);
                return DecisionFailed(tx, e);
            }
        }

        return await CommitDecidedAsync(tx, decision).ConfigureAwait(false);
    }

    // The decision write failed: fenced (nothing recorded, the transaction aborts), or unknown (in doubt).
    private TxOutcome DecisionFailed(CoordinatorTransaction tx, Exception error)
    {
        if (error is CohortException { Code: ErrorCodes.NoLeader })
        {
            // A fenced log (etcd) refused the write because this node no longer leads: nothing was recorded, and
            // nothing can be recorded for this transaction at this epoch any more, so it never commits.
            Log.DecisionRefused(_logger, tx.Id, error.Message);
            return AbortEverywhere(tx, $"the decision was not recorded: {error.Message}", ErrorCodes.NoLeader);
        }

        // The record may or may not be on disk. Sending anything now could contradict it; a restart of the coordinator
        // reads the log and settles the transaction one way or the other.
        Log.DecisionNotDurable(_logger, tx.Id, error);
        return Finish(tx, TransactionState.InDoubt, TxOutcome.InDoubt($"the decision log failed while recording the commit: {error.Message}"), error.Message);
    }

    private async Task<TxOutcome> CommitDecidedAsync(CoordinatorTransaction tx, CommitDecision decision)
    {
        CrashPoints.Hit(CrashPoints.CoordinatorAfterDecision);
        var outcome = TxOutcome.Committed(decision.CommitTimestamp);
        lock (tx.Sync)
        {
            tx.TransitionTo(TransactionState.Committing);
            tx.Outcome = outcome;
        }

        RecordOutcome(tx, outcome);
        tx.Completion.TrySetResult(outcome);

        Log.Decided(_logger, tx.Id, decision.Participants.Length, decision.CommitTimestamp);
        var backlogged = Volatile.Read(ref _phaseTwoPending) >= _options.PhaseTwoBacklog;
        var phaseTwo = StartPhaseTwo(tx, decision);
        ReleaseReaders(tx, decision.CommitTimestamp);
        if (backlogged)
        {
            // Participants commit more slowly than clients start transactions: answering now would let prepared
            // transactions pile up without bound. The answer waits for this transaction's phase two (bounded; the
            // decision is durable either way, so "committed" stays true).
            Interlocked.Increment(ref _phaseTwoWaits);
            await phaseTwo.WaitAsync(_options.MessageTimeout, _time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        return outcome;
    }

    private async Task<List<(ParticipantEntry Participant, Vote Vote)>> PrepareAllAsync(CoordinatorTransaction tx, List<ParticipantEntry> participants, bool keepReadLocks)
    {
        if (participants.Count == 0)
        {
            return [];
        }

        using var activity = Span("cohort.coordinator.prepare", tx.Id);
        activity?.SetTag("cohort.participants", participants.Count);
        var started = _time.GetTimestamp();
        var tasks = participants.Select(p => PrepareOneAsync(tx, p, keepReadLocks)).ToList();
        var votes = await Task.WhenAll(tasks).ConfigureAwait(false);
        PrepareLatency.Record(_time.GetElapsedTime(started));
        activity?.SetTag(CohortTelemetry.OutcomeAttribute, votes.All(v => v.Kind != VoteKind.No) ? "yes" : "no");
        var result = new List<(ParticipantEntry, Vote)>(participants.Count);
        for (var i = 0; i < participants.Count; i++)
        {
            result.Add((participants[i], votes[i]));
        }

        return result;
    }

    private async Task<Vote> PrepareOneAsync(CoordinatorTransaction tx, ParticipantEntry participant, bool keepReadLocks)
    {
        Vote vote;
        string? code = null;
        using (var timeout = MessageTimeout(tx.Deadline))
        {
            try
            {
                vote = await _transport.PrepareAsync(
                    participant.Node,
                    Termed(new PrepareRequest(tx.Id, Epoch, tx.Deadline, participant.Resource, NodeId, participant.Operations, keepReadLocks)),
                    timeout.Token).ConfigureAwait(false);
            }
            catch (CohortException e) when (e.Code != ErrorCodes.Unavailable)
            {
                vote = Vote.No($"{participant.Resource}: {e.Code}: {e.Message}");
                code = e.Code;
            }
            catch (Exception e) when (Delivery.Failed(e))
            {
                // No vote in time counts as No; the abort that follows (or presumed abort) settles a late Yes.
                vote = Vote.No($"no vote from {participant.Resource}: {e.Message}");
                code = _time.GetUtcNow() >= tx.Deadline ? ErrorCodes.Expired : ErrorCodes.Unavailable;
            }
        }

        lock (tx.Sync)
        {
            participant.Vote = vote.Kind;
            participant.RefusalCode = vote.IsNo ? code ?? ErrorCodes.Aborted : null;
            participant.HoldsReadLocks = vote.Kind == VoteKind.ReadOnly && vote.HoldsLocks;
        }

        Log.Voted(_logger, tx.Id, participant.Resource, vote);
        return vote;
    }

    private static TxOutcome? CurrentOutcome(CoordinatorTransaction tx)
    {
        lock (tx.Sync)
        {
            return tx.Outcome;
        }
    }

    private static string RefusalCode(CoordinatorTransaction tx, List<(ParticipantEntry Participant, Vote Vote)> votes)
    {
        lock (tx.Sync)
        {
            return votes.FirstOrDefault(v => v.Vote.IsNo).Participant?.RefusalCode ?? ErrorCodes.Aborted;
        }
    }

    private static string? FirstRefusal(List<(ParticipantEntry Participant, Vote Vote)> votes)
    {
        foreach (var (participant, vote) in votes)
        {
            if (vote.IsNo)
            {
                return vote.Reason ?? $"{participant.Resource} voted No";
            }
        }

        return null;
    }

    private async Task<TxOutcome> CommitOnePhaseAsync(CoordinatorTransaction tx, ParticipantEntry writer, List<(ParticipantEntry Participant, Vote Vote)> readerVotes)
    {
        // The writer commits above every reader's vote: each is later than the versions the transaction read there.
        foreach (var (_, vote) in readerVotes)
        {
            _clock.Observe(vote.PrepareTimestamp);
        }

        var timestamp = _clock.Now();
        var request = new OnePhaseCommitRequest(tx.Id, Epoch, writer.Resource, timestamp, writer.Operations);
        var result = await TryCommitOnePhaseAsync(tx, writer, request).ConfigureAwait(false);
        if (result is not null)
        {
            return result.Value;
        }

        // The writer may or may not have committed. Ask again in the background until it says.
        var outcome = Finish(tx, TransactionState.InDoubt, TxOutcome.InDoubt($"{writer.Resource} did not confirm the one-phase commit"), "one-phase commit unconfirmed");
        Log.OnePhaseInDoubt(_logger, tx.Id, writer.Resource);
        Track(() => ResolveOnePhaseAsync(tx, writer, request));
        return outcome;
    }

    // Null when the outcome is unknown.
    private async Task<TxOutcome?> TryCommitOnePhaseAsync(CoordinatorTransaction tx, ParticipantEntry writer, OnePhaseCommitRequest request)
    {
        using var timeout = MessageTimeout();
        HlcTimestamp committedAt;
        try
        {
            committedAt = await _transport.CommitOnePhaseAsync(writer.Node, Termed(request), timeout.Token).ConfigureAwait(false);
        }
        catch (CohortException e) when (e.NeverRan)
        {
            // unknown_transaction: the writer never logged the transaction (its work was lost); it did not commit.
            return AbortEverywhere(tx, $"{writer.Resource}: {e.Code}: {e.Message}", e.Code);
        }
        catch (Exception e) when (Delivery.Failed(e))
        {
            Log.OnePhaseUnconfirmed(_logger, tx.Id, writer.Resource, e.Message);
            return null;
        }

        return CommittedOnePhase(tx, writer, committedAt);
    }

    // The single writer committed at its own timestamp: that is the transaction's, and the readers may now let writers in.
    private TxOutcome CommittedOnePhase(CoordinatorTransaction tx, ParticipantEntry writer, HlcTimestamp committedAt)
    {
        _clock.Observe(committedAt);
        lock (tx.Sync)
        {
            writer.Acknowledged = true;
        }

        var outcome = Finish(tx, TransactionState.Committed, TxOutcome.Committed(committedAt), null);
        ReleaseReaders(tx, committedAt);
        return outcome;
    }

    // Tells the read-only participants that kept their locks the commit timestamp, so they release them with their clocks
    // past it. In the background and bounded: one that misses it asks for the decision after the deadline.
    private void ReleaseReaders(CoordinatorTransaction tx, HlcTimestamp commitTimestamp)
    {
        List<Participant>? holders = null;
        lock (tx.Sync)
        {
            // Nothing allocated in the common case (every participant wrote).
            foreach (var p in tx.Participants)
            {
                if (p.HoldsReadLocks)
                {
                    (holders ??= []).Add(p.Participant);
                }
            }
        }

        if (holders is not null)
        {
            Track(() => Task.WhenAll(holders.Select(p => ReleaseReaderAsync(tx, p, commitTimestamp))));
        }
    }

    private async Task ReleaseReaderAsync(CoordinatorTransaction tx, Participant reader, HlcTimestamp commitTimestamp)
    {
        var request = new CommitRequest(tx.Id, Epoch, reader.Resource, commitTimestamp, [reader]);
        if (await DeliverBoundedAsync(
                token => _transport.CommitAsync(HomeOf(reader), Termed(request), token),
                error => Log.ReleaseNotDelivered(_logger, tx.Id, reader.Resource, error)).ConfigureAwait(false))
        {
            MarkAcknowledged(tx, reader.Resource);
        }
    }

    // Ends the transaction as aborted unless it already has an outcome; tells every participant in the background.
    // Only for the commit path, which owns a preparing transaction: anyone else uses AbortIfActive.
    private TxOutcome AbortEverywhere(CoordinatorTransaction tx, string reason, string code = ErrorCodes.Aborted)
        => Abort(tx, reason, code, preparingToo: true) ?? throw new UnreachableException("Abort returns null only when told to leave a preparing transaction alone.");

    // Aborts the transaction if it is still active; null when it is not (commit started, or it has an outcome). A
    // preparing transaction belongs to the commit path: aborting it from outside would race commit's decision (the
    // aborts could reach participants that commit then tells to commit), so an abort request sets AbortRequested instead.
    private TxOutcome? AbortIfActive(CoordinatorTransaction tx, string reason, string code = ErrorCodes.Aborted)
        => Abort(tx, reason, code, preparingToo: false);

    private TxOutcome? Abort(CoordinatorTransaction tx, string reason, string code, bool preparingToo)
    {
        List<Participant> participants;
        lock (tx.Sync)
        {
            if (!preparingToo && tx.State != TransactionState.Active)
            {
                return null;
            }

            if (tx.State is not (TransactionState.Active or TransactionState.Preparing))
            {
                return tx.Outcome ?? TxOutcome.InDoubt(tx.Reason ?? "outcome not known yet");
            }

            tx.TransitionTo(TransactionState.Aborted);
            tx.Reason = reason;
            tx.Outcome = TxOutcome.Aborted(reason, code);
            participants = [.. tx.Participants.Select(p => p.Participant)];
        }

        var outcome = TxOutcome.Aborted(reason, code);
        Outcomes.Record(outcome);
        tx.Completion.TrySetResult(outcome);
        Log.Aborting(_logger, tx.Id, reason);
        RememberFinished(tx);
        if (participants.Count > 0)
        {
            Track(() => SendAbortsAsync(tx.Id, participants));
        }

        return outcome;
    }

    // Counts the outcome, and a commit's latency first: a stats sample taken in between then sees the latency of a
    // commit it does not count yet (the next one counts it), never a commit without its latency.
    private void RecordOutcome(CoordinatorTransaction tx, TxOutcome outcome)
    {
        if (outcome.IsCommitted && tx.CommitStarted != 0)
        {
            CommitLatency.Record(_time.GetElapsedTime(tx.CommitStarted));
        }

        Outcomes.Record(outcome);
    }

    private TxOutcome Finish(CoordinatorTransaction tx, TransactionState state, TxOutcome outcome, string? reason)
    {
        lock (tx.Sync)
        {
            tx.TransitionTo(state);
            tx.Reason = reason;
            tx.Outcome = outcome;
        }

        RecordOutcome(tx, outcome);
        tx.Completion.TrySetResult(outcome);
        if (state is TransactionState.Committed)
        {
            Log.CommittedWithoutDecision(_logger, tx.Id);
        }

        if (state is TransactionState.Committed or TransactionState.Aborted)
        {
            RememberFinished(tx);
        }

        return outcome;
    }
}
