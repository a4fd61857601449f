using Cohort.Core;
using Etcdserverpb;
using Grpc.Core;
using Mvccpb;

namespace Cohort.Etcd;

/// <content>The campaign: lease, create-if-absent transaction, watch of the leader key.</content>
public sealed partial class EtcdLeadership
{
    private static readonly TimeSpan PausePoll = TimeSpan.FromMilliseconds(50);

    private async Task RunAsync(CancellationToken stop)
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), jitter: 0.5);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (_paused)
                {
                    await Task.Delay(PausePoll, _time, stop).ConfigureAwait(false);
                    continue;
                }

                var (lease, scope) = await EnsureLeaseAsync(stop).ConfigureAwait(false);
                var revision = await CampaignAsync(lease, stop).ConfigureAwait(false);
                backoff.Reset();
                await WatchLeaderKeyAsync(revision, lease, scope, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Whatever failed (etcd unreachable, an answer that makes no sense), the loop must go on campaigning.
                if (e is RpcException { StatusCode: StatusCode.NotFound } notFound)
                {
                    // "requested lease not found": the lease expired while we could not reach etcd.
                    LoseLease(LeaseId, notFound.Status.Detail);
                }

                var delay = backoff.Next();
                Log.CampaignFailed(_logger, _options.Candidate, delay, e.Message);
                try
                {
                    await Task.Delay(delay, _time, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>The current lease, or a new one (with its keep-alive loop) when there is none.</summary>
    private async Task<(long Lease, CancellationToken Scope)> EnsureLeaseAsync(CancellationToken stop)
    {
        lock (_gate)
        {
            if (_leaseId != 0 && _leaseScope is { } current)
            {
                return (_leaseId, current.Token);
            }
        }

        var start = _time.GetTimestamp();
        var granted = await _etcd.LeaseClient.LeaseGrantAsync(new LeaseGrantRequest { TTL = _options.TtlSeconds }, deadline: Deadline(), cancellationToken: stop).ResponseAsync.ConfigureAwait(false);
        if (!string.IsNullOrEmpty(granted.Error) || granted.TTL <= 0)
        {
            throw new CohortException(ErrorCodes.Unavailable, $"etcd granted no lease: {granted.Error}");
        }

        var ttl = TimeSpan.FromSeconds(granted.TTL);
        var scope = CancellationTokenSource.CreateLinkedTokenSource(stop);
        lock (_gate)
        {
            _leaseId = granted.ID;
            _grantedTtl = ttl;
            _validUntil = TimestampAfter(start, ttl - _options.EffectiveMargin(ttl));
            _leaseScope = scope;
            _keepAlive = Task.Run(() => KeepAliveLoopAsync(granted.ID, ttl, scope.Token), CancellationToken.None);
        }

        Log.LeaseGranted(_logger, _options.Candidate, granted.ID, granted.TTL);
        return (granted.ID, scope.Token);
    }

    /// <summary>
    /// One campaign transaction: create the leader key bound to <paramref name="lease"/> if it does not exist, else read
    /// it. Returns the revision the transaction ran at, from which the key is then watched.
    /// </summary>
    private async Task<long> CampaignAsync(long lease, CancellationToken stop)
    {
        var campaign = new TxnRequest();
        campaign.Compare.Add(new Compare
        {
            Key = _keys.Leader,
            Target = Compare.Types.CompareTarget.Create,
            Result = Compare.Types.CompareResult.Equal,
            CreateRevision = 0,
        });
        // A node that may not lead now (not a member of the cluster) only looks: it must never hold the key, or the
        // cluster would have a leader that refuses to lead for as long as it renews its lease.
        var eligible = Eligible();
        if (eligible)
        {
            campaign.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = _keys.Leader, Value = _me, Lease = lease } });
        }

        campaign.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = _keys.Leader } });
        var answer = await _etcd.KVClient.TxnAsync(campaign, deadline: Deadline(), cancellationToken: stop).ResponseAsync.ConfigureAwait(false);
        var revision = answer.Header.Revision;
        if (answer.Succeeded && !eligible)
        {
            Unhold("no leader, and this node may not campaign now");
            return revision;
        }

        if (answer.Succeeded)
        {
            // The put created the key in this transaction, so its create revision is the transaction's revision.
            Hold(lease, revision);
            return revision;
        }

        var kvs = answer.Responses.Count > 0 ? answer.Responses[0].ResponseRange?.Kvs : null;
        if (kvs is not { Count: > 0 })
        {
            // Cannot happen (compare and range run atomically); campaign again after the backoff.
            throw new CohortException(ErrorCodes.Unavailable, "etcd answered the campaign with neither success nor the leader key.");
        }

        var kv = kvs[0];
        if (kv.Lease == lease)
        {
            // Ours: an earlier campaign succeeded but its answer was lost, or this is a periodic recheck.
            Hold(lease, kv.CreateRevision);
        }
        else
        {
            Observe(kv, "another candidate holds the leader key");
        }

        return revision;
    }

    /// <summary>
    /// Watches the leader key after <paramref name="revision"/> until it is deleted, the lease is lost,
    /// <see cref="EtcdLeadershipOptions.RecheckInterval"/> passes or the watch breaks; the caller then campaigns again.
    /// </summary>
    private async Task WatchLeaderKeyAsync(long revision, long lease, CancellationToken scope, CancellationToken stop)
    {
        using var watchScope = CancellationTokenSource.CreateLinkedTokenSource(scope);
        watchScope.CancelAfter(_options.EffectiveRecheck);
        try
        {
            using var call = _etcd.WatchClient.Watch(cancellationToken: watchScope.Token);
            await call.RequestStream.WriteAsync(new WatchRequest
            {
                CreateRequest = new WatchCreateRequest { Key = _keys.Leader, StartRevision = revision + 1 },
            }, watchScope.Token).ConfigureAwait(false);
            while (await call.ResponseStream.MoveNext(watchScope.Token).ConfigureAwait(false))
            {
                var response = call.ResponseStream.Current;
                if (response.Canceled || response.CompactRevision != 0)
                {
                    return;
                }

                foreach (var e in response.Events)
                {
                    if (e.Type == Event.Types.EventType.Delete)
                    {
                        Unhold("the leader key was deleted (resigned, or its lease expired)");
                        return;
                    }

                    if (e.Kv.Lease == lease)
                    {
                        Hold(lease, e.Kv.CreateRevision);
                    }
                    else
                    {
                        Observe(e.Kv, "the leader key changed hands");
                    }
                }
            }
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            // Recheck interval passed or the lease was lost: campaign again.
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && !stop.IsCancellationRequested)
        {
        }
    }

    private void Hold(long lease, long epoch)
    {
        bool became;
        lock (_gate)
        {
            if (_leaseId != lease)
            {
                // The lease was lost meanwhile: the key went with it.
                return;
            }

            became = _heldEpoch != epoch;
            _heldEpoch = epoch;
            _observedEpoch = epoch;
            _leader = _options.Candidate;
        }

        if (became)
        {
            Log.BecameLeader(_logger, _options.Candidate, LeaderKey, epoch, lease);
            Changed?.Invoke();
        }
    }

    private void Observe(KeyValue kv, string reason)
    {
        var leader = kv.Value.ToStringUtf8();
        long lost;
        bool changed;
        lock (_gate)
        {
            lost = _heldEpoch;
            _heldEpoch = 0;
            changed = _observedEpoch != kv.CreateRevision;
            _observedEpoch = kv.CreateRevision;
            _leader = leader;
        }

        if (lost != 0)
        {
            Log.LostLeadership(_logger, _options.Candidate, lost, reason);
        }

        if (changed)
        {
            Log.Following(_logger, _options.Candidate, leader, kv.CreateRevision);
        }

        if (changed || lost != 0)
        {
            Changed?.Invoke();
        }
    }

    private void Unhold(string reason)
    {
        long lost;
        lock (_gate)
        {
            lost = _heldEpoch;
            _heldEpoch = 0;
            _leader = null;
        }

        if (lost != 0)
        {
            Log.LostLeadership(_logger, _options.Candidate, lost, reason);
        }

        Changed?.Invoke();
    }

    /// <summary>Forgets <paramref name="lease"/> (expired or revoked in etcd), and the leader key bound to it; a new lease is granted on the next campaign.</summary>
    private void LoseLease(long lease, string reason)
    {
        CancellationTokenSource? scope;
        long lost;
        lock (_gate)
        {
            if (lease == 0 || _leaseId != lease)
            {
                return;
            }

            scope = _leaseScope;
            lost = _heldEpoch;
            _leaseId = 0;
            _leaseScope = null;
            _heldEpoch = 0;
            if (lost != 0)
            {
                _leader = null;
            }
        }

        Log.LeaseLost(_logger, _options.Candidate, lease, reason);
        if (lost != 0)
        {
            Log.LostLeadership(_logger, _options.Candidate, lost, "its lease is gone");
            Changed?.Invoke();
        }

        // Ends the lease's keep-alive loop and any watch under it. Not disposed here: the keep-alive loop may still be
        // reading its token; it is collected with the loop.
        scope?.Cancel();
    }
}
