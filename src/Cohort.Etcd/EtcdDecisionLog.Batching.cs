using Cohort.Coordination;
using Cohort.Core;
using Etcdserverpb;
using Grpc.Core;

namespace Cohort.Etcd;

/// <content>Group commit: the loops that turn queued decisions and ENDs into etcd transactions.</content>
public sealed partial class EtcdDecisionLog
{
    private async Task RunCommitsAsync()
    {
        var reader = _commits.Reader;
        var batch = new List<PendingCommit>(_options.MaxBatch);
        var keys = new HashSet<TxId>();
        PendingCommit? carry = null;
        while (carry is not null || await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            keys.Clear();
            var bytes = 0;
            if (carry is not null)
            {
                batch.Add(carry);
                keys.Add(carry.Decision.TxId);
                bytes = carry.Size;
                carry = null;
            }

            while (batch.Count < _options.MaxBatch && reader.TryRead(out var next))
            {
                // One transaction holds decisions of one epoch (it is fenced on it), each key once (etcd refuses a
                // transaction that puts a key twice), and stays under the request size limit.
                if (batch.Count > 0
                    && (next.Decision.Epoch != batch[0].Decision.Epoch || keys.Contains(next.Decision.TxId) || bytes + next.Size > _options.MaxBatchBytes))
                {
                    carry = next;
                    break;
                }

                batch.Add(next);
                keys.Add(next.Decision.TxId);
                bytes += next.Size;
            }

            if (batch.Count > 0)
            {
                try
                {
                    await WriteBatchAsync(batch).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    // The loop must outlive any surprise, or every later decision would wait forever; whether this
                    // batch was written is unknown.
                    Log.DecisionLoopFailed(_logger, batch.Count, e);
                    Fail(batch, new CohortException(ErrorCodes.Unavailable, $"The write of {batch.Count} decisions failed unexpectedly ({e.GetType().Name}: {e.Message}); they may or may not be recorded.", e));
                }
            }
        }
    }

    /// <summary>
    /// Puts <paramref name="batch"/> in one fenced transaction, retrying transient failures within
    /// <see cref="EtcdDecisionLogOptions.WriteTimeout"/>, and completes every waiter with the outcome. Never throws.
    /// </summary>
    private async Task WriteBatchAsync(List<PendingCommit> batch)
    {
        var epoch = batch[0].Decision.Epoch;
        var txn = new TxnRequest();
        AddFence(txn, epoch);
        foreach (var pending in batch)
        {
            // Never over an abort the leader recorded while settling, nor over an earlier attempt of this batch.
            txn.Compare.Add(Absent(pending.Key));
            txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = pending.Key, Value = pending.Value } });
        }

        txn.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = _keys.Leader } });

        var started = _time.GetTimestamp();
        var backoff = new Backoff(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(500), jitter: 0.5);
        var attempt = 0;
        Exception? last = null;
        while (true)
        {
            var remaining = _options.WriteTimeout - _time.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                Fail(batch, EtcdErrors.TimedOut($"the write of {batch.Count} decisions", _options.WriteTimeout, last));
                return;
            }

            attempt++;
            Interlocked.Increment(ref _commitTransactions);
            TxnResponse answer;
            try
            {
                var budget = remaining < _options.RequestTimeout ? remaining : _options.RequestTimeout;
                answer = await _etcd.KVClient.TxnAsync(txn, deadline: DateTime.UtcNow + budget).ResponseAsync.ConfigureAwait(false);
            }
            catch (Exception e) when (EtcdErrors.IsCall(e) && EtcdErrors.IsTransient(e))
            {
                last = e;
                Log.DecisionRetry(_logger, attempt, EtcdErrors.Describe(e));
                var delay = backoff.Next();
                remaining = _options.WriteTimeout - _time.GetElapsedTime(started);
                if (remaining > TimeSpan.Zero)
                {
                    await Task.Delay(delay < remaining ? delay : remaining, _time).ConfigureAwait(false);
                }

                continue;
            }
            catch (Exception e) when (EtcdErrors.IsCall(e))
            {
                Fail(batch, EtcdErrors.ToCohort(e, $"the write of {batch.Count} decisions"));
                return;
            }

            if (answer.Succeeded)
            {
                lock (_gate)
                {
                    foreach (var pending in batch)
                    {
                        _unfinished[pending.Decision.TxId] = pending.Decision;

                        // Written here (a reload that ran meanwhile may have read it already).
                        _adopted.Remove(pending.Decision.TxId);
                    }
                }

                foreach (var pending in batch)
                {
                    pending.Done.TrySetResult();
                }

                Log.DecisionsWritten(_logger, batch.Count, answer.Header.Revision, epoch);
                return;
            }

            if (answer.Responses.Count > 0 && Holds(answer.Responses[0], epoch))
            {
                // Still the leader, so some transaction of the batch has a decision key already: an earlier attempt
                // of this batch whose answer was lost, or an abort recorded while its write was in doubt. Which, the
                // log tells when each is settled; until then none of them may be reported either way.
                Fail(batch, new CohortException(ErrorCodes.Unavailable, $"A decision of one of these {batch.Count} transactions is already recorded in etcd (an earlier attempt, or an abort recorded meanwhile): each is settled from the log.", last));
                return;
            }

            var holder = answer.Responses.Count > 0 ? Holder(answer.Responses[0]) : "does not exist";
            Log.DecisionsFenced(_logger, batch.Count, epoch, holder);

            // A fenced-out attempt wrote nothing, and so would any earlier attempt still in flight (the leader key with
            // this create revision, once gone, never comes back). But an earlier attempt whose answer was lost may have
            // been applied before this one: then the decisions are durable, so "nothing ran" would be a lie.
            Fail(batch, last is null
                ? new CohortException(ErrorCodes.NoLeader, $"This node ('{_options.Holder}') no longer leads at epoch {epoch}: the leader key {holder}. No decision was written.")
                : new CohortException(ErrorCodes.Unavailable, $"This node ('{_options.Holder}') no longer leads at epoch {epoch} (the leader key {holder}), and an earlier attempt's outcome is unknown: the decisions may or may not be durable.", last));
            return;
        }
    }

    private void Fail(List<PendingCommit> batch, CohortException error)
    {
        Log.DecisionsFailed(_logger, batch.Count, error.Message);
        foreach (var pending in batch)
        {
            pending.Done.TrySetException(error);
        }
    }

    private async Task RunEndsAsync()
    {
        var reader = _ends.Reader;
        var batch = new Dictionary<TxId, CommitDecision?>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < _options.MaxBatch && reader.TryRead(out var end))
            {
                batch[end.TxId] = end.Retain;
            }

            if (batch.Count < _options.MaxBatch && Volatile.Read(ref _disposed) == 0)
            {
                // Nothing waits for an END: let more gather, so deletions cost etcd far fewer transactions than the
                // decisions they end (etcd runs on the same machines as its clients, often).
                await Task.Delay(_options.EndLinger, _time).ConfigureAwait(false);
                while (batch.Count < _options.MaxBatch && reader.TryRead(out var more))
                {
                    batch[more.TxId] = more.Retain;
                }
            }

            if (batch.Count > 0)
            {
                await DeleteBatchAsync(batch).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Ends the decisions of <paramref name="batch"/> in one etcd transaction: deletes each key, or for a decision read
    /// from etcd (a non-null value) puts it back bound to a lease of <see cref="EtcdDecisionLogOptions.AbortRetention"/>
    /// (see the class remarks).
    /// </summary>
    private async Task DeleteBatchAsync(Dictionary<TxId, CommitDecision?> batch)
    {
        var started = _time.GetTimestamp();
        var backoff = new Backoff(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(500), jitter: 0.5);
        var lease = 0L;
        while (true)
        {
            var remaining = _options.WriteTimeout - _time.GetElapsedTime(started);
            Interlocked.Increment(ref _endTransactions);
            try
            {
                var budget = remaining < _options.RequestTimeout ? remaining : _options.RequestTimeout;
                if (lease == 0 && batch.Values.Any(d => d is not null))
                {
                    lease = await GrantRetentionLeaseAsync(DateTime.UtcNow + budget).ConfigureAwait(false);
                }

                var txn = new TxnRequest();
                foreach (var (txId, retain) in batch)
                {
                    txn.Success.Add(retain is null
                        ? new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = _keys.Decision(txId) } }
                        : new RequestOp { RequestPut = new PutRequest { Key = _keys.Decision(txId), Value = Encode(retain), Lease = lease } });
                }

                await _etcd.KVClient.TxnAsync(txn, deadline: DateTime.UtcNow + budget).ResponseAsync.ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (EtcdErrors.IsCall(e) && EtcdErrors.IsTransient(e) && _time.GetElapsedTime(started) + backoff.Initial < _options.WriteTimeout)
            {
                await Task.Delay(backoff.Next(), _time).ConfigureAwait(false);
            }
            catch (Exception e) when (EtcdErrors.IsCall(e))
            {
                Log.EndsNotWritten(_logger, batch.Count, EtcdErrors.Describe(e));
                return;
            }
        }
    }
}
