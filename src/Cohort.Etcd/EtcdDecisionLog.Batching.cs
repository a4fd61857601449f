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
    /// <remarks>
    /// An attempt not answered within <see cref="EtcdDecisionLogOptions.HedgeDelay"/> is hedged: the same transaction
    /// goes out once more (round-robin sends it to another member) and the first answer counts. A member that is
    /// stopped (SIGSTOP, a VM paused) keeps its connections open and answers nothing, so without the hedge every attempt
    /// the balancer hands it would cost the whole <see cref="EtcdDecisionLogOptions.RequestTimeout"/>. Two attempts of
    /// one batch are safe: each puts its keys only while they are absent, and an attempt that finds them already there
    /// reads them back: holding exactly this batch's values, it was this batch, and the write succeeded.
    /// </remarks>
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
        var attempts = 0;
        var inFlight = new List<Task<TxnResponse>>(2);
        Exception? last = null;
        try
        {
            while (true)
            {
                var remaining = _options.WriteTimeout - _time.GetElapsedTime(started);
                if (inFlight.Count == 0)
                {
                    if (remaining <= TimeSpan.Zero)
                    {
                        Fail(batch, EtcdErrors.TimedOut($"the write of {batch.Count} decisions", _options.WriteTimeout, last));
                        return;
                    }

                    attempts++;
                    inFlight.Add(SendAsync(txn, remaining));
                }

                Task<TxnResponse> answered;
                if (inFlight.Count == 1 && remaining > _options.HedgeDelay)
                {
                    using var hedgeTimer = new CancellationTokenSource();
                    var hedge = Task.Delay(_options.HedgeDelay, _time, hedgeTimer.Token);
                    if (await Task.WhenAny(inFlight[0], hedge).ConfigureAwait(false) == hedge)
                    {
                        attempts++;
                        Log.DecisionHedged(_logger, batch.Count, _options.HedgeDelay.TotalMilliseconds);
                        inFlight.Add(SendAsync(txn, remaining - _options.HedgeDelay));
                        continue;
                    }

                    await hedgeTimer.CancelAsync().ConfigureAwait(false);
                    answered = inFlight[0];
                }
                else
                {
                    answered = await Task.WhenAny(inFlight).ConfigureAwait(false);
                }

                inFlight.Remove(answered);
                TxnResponse answer;
                try
                {
                    answer = await answered.ConfigureAwait(false);
                }
                catch (Exception e) when (EtcdErrors.IsCall(e) && EtcdErrors.IsTransient(e))
                {
                    last = e;
                    Log.DecisionRetry(_logger, attempts, EtcdErrors.Describe(e));
                    remaining = _options.WriteTimeout - _time.GetElapsedTime(started);
                    if (inFlight.Count == 0 && remaining > TimeSpan.Zero)
                    {
                        // The other attempt, if any, is still out: wait for it rather than back off.
                        var delay = backoff.Next();
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
                    Written(batch, epoch, answer.Header.Revision);
                    return;
                }

                if (answer.Responses.Count > 0 && Holds(answer.Responses[0], epoch))
                {
                    // Still the leader, so some transaction of the batch has a decision key already: another attempt of
                    // this batch (hedged, or one whose answer was lost), or an abort recorded while its write was in
                    // doubt. Keys holding exactly this batch's values are this batch, written.
                    var mine = await HoldsValuesAsync(batch).ConfigureAwait(false);
                    if (mine is long revision)
                    {
                        Written(batch, epoch, revision);
                        return;
                    }

                    // Otherwise which is which, the log tells when each is settled; until then none of them may be
                    // reported either way.
                    Fail(batch, new CohortException(ErrorCodes.Unavailable, $"A decision of one of these {batch.Count} transactions is already recorded in etcd (an earlier attempt, or an abort recorded meanwhile): each is settled from the log.", last));
                    return;
                }

                var holder = answer.Responses.Count > 0 ? Holder(answer.Responses[0]) : "does not exist";
                Log.DecisionsFenced(_logger, batch.Count, epoch, holder);

                // A fenced-out attempt wrote nothing, and so would any other attempt still in flight (the leader key with
                // this create revision, once gone, never comes back). But another attempt may have been applied before
                // this one: then the decisions are durable, so "nothing ran" would be a lie.
                Fail(batch, attempts == 1
                    ? new CohortException(ErrorCodes.NoLeader, $"This node ('{_options.Holder}') no longer leads at epoch {epoch}: the leader key {holder}. No decision was written.")
                    : new CohortException(ErrorCodes.Unavailable, $"This node ('{_options.Holder}') no longer leads at epoch {epoch} (the leader key {holder}), and another attempt's outcome is unknown: the decisions may or may not be durable.", last));
                return;
            }
        }
        finally
        {
            // An attempt still out ends by its own deadline; its outcome no longer matters.
            foreach (var task in inFlight)
            {
                _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
    }

    private Task<TxnResponse> SendAsync(TxnRequest txn, TimeSpan remaining)
    {
        Interlocked.Increment(ref _commitTransactions);
        var budget = remaining < _options.RequestTimeout ? remaining : _options.RequestTimeout;
        return _etcd.KVClient.TxnAsync(txn, deadline: DateTime.UtcNow + budget).ResponseAsync;
    }

    /// <summary>
    /// Reads the batch's keys back in one linearizable transaction: the revision it read at when every key holds
    /// exactly this batch's value (an attempt of this batch was applied), null otherwise or when the read fails.
    /// </summary>
    private async Task<long?> HoldsValuesAsync(List<PendingCommit> batch)
    {
        var read = new TxnRequest();
        foreach (var pending in batch)
        {
            read.Success.Add(new RequestOp { RequestRange = new RangeRequest { Key = pending.Key } });
        }

        TxnResponse answer;
        try
        {
            answer = await _etcd.KVClient.TxnAsync(read, deadline: DateTime.UtcNow + _options.RequestTimeout).ResponseAsync.ConfigureAwait(false);
        }
        catch (Exception e) when (EtcdErrors.IsCall(e))
        {
            Log.DecisionRetry(_logger, 0, EtcdErrors.Describe(e));
            return null;
        }

        for (var i = 0; i < batch.Count; i++)
        {
            var kvs = answer.Responses[i].ResponseRange.Kvs;
            if (kvs.Count != 1 || !kvs[0].Value.Equals(batch[i].Value))
            {
                return null;
            }
        }

        return answer.Header.Revision;
    }

    private void Written(List<PendingCommit> batch, long epoch, long revision)
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

        Log.DecisionsWritten(_logger, batch.Count, revision, epoch);
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
