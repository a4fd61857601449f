using Etcdserverpb;
using Grpc.Core;

namespace Cohort.Etcd;

/// <content>The lease keep-alive loop and the local lease deadline.</content>
public sealed partial class EtcdLeadership
{
    /// <summary>
    /// Renews <paramref name="lease"/> every keep-alive interval over one bidirectional stream (re-opened after a
    /// failure). Each confirmed renewal moves the local deadline to the request's start + granted TTL − margin; a renewal
    /// answered with TTL 0 means etcd dropped the lease (and the leader key with it).
    /// </summary>
    private async Task KeepAliveLoopAsync(long lease, TimeSpan ttl, CancellationToken scope)
    {
        var interval = _options.EffectiveKeepAliveInterval(ttl);

        // An answer later than the next keep-alive is due is given up on, and the stream re-opened (perhaps to another
        // etcd member): a stream stuck on a member that stopped answering must not outlast the local deadline.
        var answerTimeout = interval < _options.RequestTimeout ? interval : _options.RequestTimeout;
        AsyncDuplexStreamingCall<LeaseKeepAliveRequest, LeaseKeepAliveResponse>? call = null;
        try
        {
            while (!scope.IsCancellationRequested)
            {
                var start = _time.GetTimestamp();
                if (!_paused)
                {
                    try
                    {
                        using var answer = CancellationTokenSource.CreateLinkedTokenSource(scope);
                        answer.CancelAfter(answerTimeout);
                        call ??= _etcd.LeaseClient.LeaseKeepAlive(cancellationToken: scope);
                        await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = lease }, answer.Token).ConfigureAwait(false);
                        if (!await call.ResponseStream.MoveNext(answer.Token).ConfigureAwait(false))
                        {
                            throw new RpcException(new Status(StatusCode.Unavailable, "the keep-alive stream ended"));
                        }

                        var renewed = call.ResponseStream.Current;
                        if (renewed.TTL <= 0)
                        {
                            LoseLease(lease, "etcd says it expired");
                            return;
                        }

                        Renewed(lease, start, TimeSpan.FromSeconds(renewed.TTL));
                    }
                    catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
                    {
                        LoseLease(lease, e.Status.Detail);
                        return;
                    }
                    catch (Exception e) when (EtcdErrors.IsCall(e) && !scope.IsCancellationRequested)
                    {
                        // No answer in time, or the stream broke: the local deadline keeps running; try again on a new stream.
                        Log.KeepAliveFailed(_logger, _options.Candidate, lease, e.Message);
                        call?.Dispose();
                        call = null;
                    }
                }

                var wait = interval - _time.GetElapsedTime(start);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _time, scope).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (scope.IsCancellationRequested)
        {
        }
        catch (RpcException) when (scope.IsCancellationRequested)
        {
        }
        finally
        {
            call?.Dispose();
        }
    }

    private void Renewed(long lease, long requestStart, TimeSpan ttl)
    {
        lock (_gate)
        {
            if (_leaseId != lease)
            {
                return;
            }

            var until = TimestampAfter(requestStart, ttl - _options.EffectiveMargin(ttl));
            if (until > _validUntil)
            {
                _validUntil = until;
            }
        }

        Interlocked.Increment(ref _keepAlivesConfirmed);
    }
}
