using Cohort.Coordination;
using Cohort.Core;
using Cohort.Protocol;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Mvccpb;

namespace Cohort.Etcd;

/// <content>
/// The shared side of the log: reading one transaction's decision, settling a transaction whose coordinator is gone or
/// in doubt (an abort recorded, fenced like a commit), and reloading every coordinator's unfinished decisions.
/// </content>
public sealed partial class EtcdDecisionLog : ISharedDecisionLog
{
    /// <inheritdoc/>
    public async ValueTask<DecisionAnswer> ReadAsync(TxId txId, CancellationToken cancellationToken)
    {
        RangeResponse answer;
        try
        {
            answer = await _etcd.KVClient.RangeAsync(new RangeRequest { Key = _keys.Decision(txId) }, deadline: Deadline(), cancellationToken: cancellationToken)
                .ResponseAsync.ConfigureAwait(false);
        }
        catch (Exception e) when (EtcdErrors.IsCall(e) && !cancellationToken.IsCancellationRequested)
        {
            throw EtcdErrors.ToCohort(e, $"the read of {txId}'s decision");
        }

        return answer.Kvs.Count == 0 ? DecisionAnswer.Pending : AnswerOf(answer.Kvs[0]);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// One etcd transaction: if the leader key is this node's at <paramref name="epoch"/> and the transaction has no
    /// decision key, put an abort record (bound to a lease of <see cref="EtcdDecisionLogOptions.AbortRetention"/>, so
    /// records of settled transactions go away by themselves; presumed abort answers after that). Every commit write is
    /// conditional on the key being absent too, so neither can overwrite the other, whichever lands first.
    /// </remarks>
    public async ValueTask<DecisionAnswer> SettleAsync(TxId txId, long epoch, CancellationToken cancellationToken)
    {
        if (epoch <= 0)
        {
            throw new CohortException(ErrorCodes.NoLeader, $"{_options.Holder} holds no leader epoch; it cannot settle {txId}.");
        }

        var key = _keys.Decision(txId);
        try
        {
            var lease = await GrantRetentionLeaseAsync(Deadline(), cancellationToken).ConfigureAwait(false);
            var txn = new TxnRequest();
            AddFence(txn, epoch);
            txn.Compare.Add(Absent(key));
            txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = key, Value = AbortValue, Lease = lease } });
            txn.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = _keys.Leader } });
            txn.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = key } });
            var answer = await _etcd.KVClient.TxnAsync(txn, deadline: Deadline(), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
            if (answer.Succeeded)
            {
                Log.AbortRecorded(_logger, txId, epoch);
                return DecisionAnswer.Aborted;
            }

            if (answer.Responses[1].ResponseRange.Kvs is { Count: > 0 } existing)
            {
                return AnswerOf(existing[0]);
            }

            throw new CohortException(ErrorCodes.NoLeader, $"{_options.Holder} no longer leads at epoch {epoch} (the leader key {Holder(answer.Responses[0])}); {txId} was not settled.");
        }
        catch (Exception e) when (EtcdErrors.IsCall(e) && !cancellationToken.IsCancellationRequested)
        {
            throw EtcdErrors.ToCohort(e, $"the settling of {txId}");
        }
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<CommitDecision>> ReloadAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        return GetUnfinished();
    }

    private static ByteString AbortValue { get; } = ByteString.CopyFrom(AbortFormat);

    private DateTime Deadline() => DateTime.UtcNow + _options.RequestTimeout;

    // A lease of AbortRetention, for a record kept only for a while (a recorded abort, an adopted decision's END).
    private async Task<long> GrantRetentionLeaseAsync(DateTime deadline, CancellationToken cancellationToken = default) =>
        (await _etcd.LeaseClient.LeaseGrantAsync(
            new LeaseGrantRequest { TTL = (long)Math.Ceiling(_options.AbortRetention.TotalSeconds) }, deadline: deadline, cancellationToken: cancellationToken)
            .ResponseAsync.ConfigureAwait(false)).ID;

    private static bool IsAbort(ByteString value) => value.Length == 1 && value[0] == AbortFormat;

    private DecisionAnswer AnswerOf(KeyValue kv) => IsAbort(kv.Value)
        ? DecisionAnswer.Aborted
        : DecisionAnswer.Committed(Decode(_keys.DecisionsPrefix, kv.Key.ToStringUtf8(), kv.Value).CommitTimestamp);

    private void AddFence(TxnRequest txn, long epoch) => _keys.AddFence(txn, epoch, _holder);

    private static Compare Absent(ByteString key) => EtcdKeys.Absent(key);

    private bool Holds(ResponseOp leaderRange, long epoch) => EtcdKeys.Holds(leaderRange, epoch, _holder);

    private static string Holder(ResponseOp leaderRange) => EtcdKeys.Holder(leaderRange);
}
