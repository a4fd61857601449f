using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Coordination;

/// <content>One-shot batches (<c>POST /v1/batch</c>): each participant gets its operations and prepare in one message.</content>
public sealed partial class Coordinator
{
    /// <summary>
    /// Runs <paramref name="operations"/> as one atomic transaction in two round trips: each resource receives its
    /// operations together with prepare (or, when it is the only resource, with a one-phase commit), then the decision.
    /// </summary>
    /// <exception cref="CohortException"><c>unknown_resource</c> when an operation names a resource no node hosts.</exception>
    public async ValueTask<BatchResult> ExecuteBatchAsync(IReadOnlyList<BatchOperation> operations, TimeSpan? timeout = null, string? label = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operations);
        ThrowIfDisposed();
        var handle = Begin(timeout, label);
        var tx = Get(handle.TxId);
        var groups = new List<(ParticipantEntry Participant, List<int> Indexes, List<Operation> Operations)>();
        lock (tx.Sync)
        {
            for (var i = 0; i < operations.Count; i++)
            {
                var (resource, operation) = operations[i];
                var node = _placement.NodeOf(resource);
                if (node is null)
                {
                    // Preparing is set once below, after the loop.
                    groups.Clear();
                    break;
                }

                var entry = tx.Find(resource) ?? AddParticipant(tx, resource, node);
                // Nothing ran yet: the operations' declared kinds say who may write (SQL always may).
                entry.MayWrite |= !OperationNames.OnlyReads(operation);
                entry.Operations++;
                var group = groups.Count - 1;
                while (group >= 0 && groups[group].Participant != entry)
                {
                    group--;
                }

                if (group < 0)
                {
                    groups.Add((entry, [], []));
                    group = groups.Count - 1;
                }

                groups[group].Indexes.Add(i);
                groups[group].Operations.Add(operation);
            }

            tx.TransitionTo(TransactionState.Preparing);
        }

        if (groups.Count == 0 && operations.Count > 0)
        {
            var missing = operations.First(o => _placement.NodeOf(o.Resource) is null).Resource;
            AbortEverywhere(tx, $"resource '{missing}' is not placed on any node", ErrorCodes.UnknownResource);
            throw new CohortException(ErrorCodes.UnknownResource, $"Resource '{missing}' is not placed on any node.", isTransient: false);
        }

        Log.CommitStarted(_logger, tx.Id, groups.Count, groups.Count(g => g.Participant.MayWrite));
        if (groups.Count == 0)
        {
            return new BatchResult(tx.Id, Finish(tx, TransactionState.Committed, TxOutcome.Committed(_clock.Now()), null), []);
        }

        var onePhase = groups.Count == 1;
        var keepReadLocks = KeepsReadLocks(groups.Count, groups.Any(g => g.Participant.MayWrite));
        var started = _time.GetTimestamp();
        tx.CommitStarted = started;
        BatchReply[] replies;
        using (var messages = MessageTimeout(tx.Deadline))
        {
            // One timeout for every participant's message: they share the deadline.
            var sends = new Task<BatchReply>[groups.Count];
            for (var g = 0; g < groups.Count; g++)
            {
                sends[g] = SendBatchAsync(tx, groups[g].Participant, groups[g].Operations, onePhase, keepReadLocks, messages.Token);
            }

            replies = await Task.WhenAll(sends).ConfigureAwait(false);
        }

        PrepareLatency.Record(_time.GetElapsedTime(started));
        var results = new Value[operations.Count];
        for (var g = 0; g < groups.Count; g++)
        {
            if (replies[g].Result is { } reply && reply.Results.Count == groups[g].Indexes.Count)
            {
                for (var k = 0; k < reply.Results.Count; k++)
                {
                    results[groups[g].Indexes[k]] = reply.Results[k];
                }
            }
        }

        TxOutcome outcome;
        if (onePhase)
        {
            outcome = FinishBatchOnePhase(tx, groups[0].Participant, replies[0]);
        }
        else
        {
            var votes = new List<(ParticipantEntry, Vote)>(groups.Count);
            for (var g = 0; g < groups.Count; g++)
            {
                votes.Add((groups[g].Participant, replies[g].Vote));
            }

            outcome = await DecideAsync(tx, votes).ConfigureAwait(false);
        }

        return new BatchResult(tx.Id, outcome, outcome.IsCommitted ? results : []);
    }

    // timeout: the message timeout (within the transaction's deadline) that the round's messages share.
    private async Task<BatchReply> SendBatchAsync(CoordinatorTransaction tx, ParticipantEntry participant, List<Operation> operations, bool onePhase, bool keepReadLocks, CancellationToken timeout)
    {
        Vote vote;
        BatchPrepareResult? result = null;
        var unknown = false;
        string? code = null;
        try
        {
            result = await _transport.ApplyAndPrepareAsync(
                participant.Node,
                Termed(new BatchPrepareRequest(tx.Id, Epoch, tx.Deadline, participant.Resource, operations, NodeId, onePhase, keepReadLocks)),
                timeout).ConfigureAwait(false);
            vote = result.Vote;
            code = result.Error;
        }
        catch (CohortException e) when (e.NeverRan)
        {
            vote = Vote.No($"{participant.Resource}: {e.Code}: {e.Message}");
            code = e.Code;
        }
        catch (Exception e) when (Delivery.Failed(e))
        {
            vote = Vote.No($"no answer from {participant.Resource}: {e.Message}");
            unknown = true;
        }

        if (vote.IsNo && code is null)
        {
            code = unknown ? (_time.GetUtcNow() >= tx.Deadline ? ErrorCodes.Expired : ErrorCodes.Unavailable) : ErrorCodes.Aborted;
        }

        lock (tx.Sync)
        {
            participant.Vote = vote.Kind;
            participant.RefusalCode = vote.IsNo ? code : null;
            participant.HoldsReadLocks = vote.Kind == VoteKind.ReadOnly && vote.HoldsLocks;
        }

        Log.Voted(_logger, tx.Id, participant.Resource, vote);
        return new BatchReply(result, vote, unknown, code);
    }

    private TxOutcome FinishBatchOnePhase(CoordinatorTransaction tx, ParticipantEntry participant, BatchReply reply)
    {
        if (!reply.Unknown && reply.Vote.Kind is VoteKind.Yes or VoteKind.ReadOnly)
        {
            // A one-phase vote carries the timestamp the participant committed at.
            return CommittedOnePhase(tx, participant, reply.Vote.PrepareTimestamp);
        }

        if (!reply.Unknown)
        {
            return AbortEverywhere(tx, reply.Vote.Reason ?? $"{participant.Resource} refused", reply.Code ?? ErrorCodes.Aborted);
        }

        // The message may have committed the batch or may still arrive; ask with one-phase commits (which never run
        // operations) until the participant says, believing "not committed" only after the deadline.
        var request = new OnePhaseCommitRequest(tx.Id, Epoch, participant.Resource, _clock.Now(), participant.Operations);
        var outcome = Finish(tx, TransactionState.InDoubt, TxOutcome.InDoubt($"{participant.Resource} did not answer the batch"), "batch unconfirmed");
        Log.OnePhaseInDoubt(_logger, tx.Id, participant.Resource);
        Track(() => ResolveOnePhaseAsync(tx, participant, request));
        return outcome;
    }

    private readonly record struct BatchReply(BatchPrepareResult? Result, Vote Vote, bool Unknown, string? Code);
}
