using Cohort.Core;
using dotnet_etcd.interfaces;
using Etcdserverpb;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Grpc.Core;
using Mvccpb;

namespace Cohort.Etcd;

/// <summary>
/// What the etcd views (<see cref="EtcdClusterDirectory"/>, <see cref="EtcdResourceConfigurations"/>) share: retried
/// calls, and following one key range — a read, then a watch from the revision after it, replaced by a fresh read
/// and a new watch when it breaks, is compacted past, or has run for the recheck interval.
/// </summary>
internal static class EtcdRange
{
    private static readonly TimeSpan WatchRetryMax = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Runs <paramref name="call"/> until it succeeds, fails for good, or a transient failure (<c>unavailable</c>) leaves
    /// less than one more backoff step of <paramref name="budget"/>; each retry is reported to <paramref name="retrying"/>.
    /// </summary>
    public static async Task<T> RetryAsync<T>(Func<Task<T>> call, Backoff backoff, TimeSpan budget, Action<int, string> retrying, TimeProvider time, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (CohortException e) when (e.IsTransient && time.GetElapsedTime(started) + backoff.Initial < budget)
            {
                retrying(attempt, e.Message);
                await Task.Delay(backoff.Next(), time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Waits until <paramref name="pending"/> says the view has reached what the caller needs (null), waiting on the task
    /// it returns otherwise (the view's next advance); false when <paramref name="timeout"/> passed first, and the caller
    /// should read afresh (the watch lags).
    /// </summary>
    public static async Task<bool> WaitForViewAsync(Func<Task?> pending, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var deadline = time.GetTimestamp() + (long)(timeout.TotalSeconds * time.TimestampFrequency);
        while (pending() is { } advanced)
        {
            var left = deadline - time.GetTimestamp();
            if (left <= 0)
            {
                return false;
            }

            await advanced.WaitAsync(TimeSpan.FromSeconds((double)left / time.TimestampFrequency), time, cancellationToken)
                .ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default)
                .ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }

        return true;
    }

    /// <summary>
    /// Follows the range [<paramref name="key"/>, <paramref name="rangeEnd"/>) until <paramref name="stop"/>: watches from
    /// <paramref name="revision"/>() + 1 (the caller has read the range once already), hands each batch of events to
    /// <paramref name="apply"/>, and after a broken or expired watch calls <paramref name="read"/> before watching again;
    /// failures (etcd unreachable, a broken stream) are reported to <paramref name="failed"/> and retried with backoff.
    /// </summary>
    public static async Task FollowAsync(
        IConnection etcd,
        ByteString key,
        ByteString rangeEnd,
        TimeSpan recheckInterval,
        Func<long> revision,
        Func<CancellationToken, Task> read,
        Action<RepeatedField<Event>> apply,
        Action<TimeSpan, string> failed,
        TimeProvider time,
        CancellationToken stop)
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), WatchRetryMax, jitter: 0.5);
        var fresh = true;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (!fresh)
                {
                    await read(stop).ConfigureAwait(false);
                }

                fresh = false;
                await WatchAsync(etcd, new WatchCreateRequest { Key = key, RangeEnd = rangeEnd, StartRevision = revision() + 1 }, recheckInterval, backoff, apply, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // etcd unreachable, a broken stream, a value that does not parse: the watch must go on.
                var delay = backoff.Next();
                failed(delay, EtcdErrors.Describe(e));
                try
                {
                    await Task.Delay(delay, time, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    // One watch, until the recheck interval passes, the watch breaks or stop.
    private static async Task WatchAsync(IConnection etcd, WatchCreateRequest create, TimeSpan recheckInterval, Backoff backoff, Action<RepeatedField<Event>> apply, CancellationToken stop)
    {
        using var scope = CancellationTokenSource.CreateLinkedTokenSource(stop);
        scope.CancelAfter(recheckInterval);
        try
        {
            using var call = etcd.WatchClient.Watch(cancellationToken: scope.Token);
            await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = create }, scope.Token).ConfigureAwait(false);
            while (await call.ResponseStream.MoveNext(scope.Token).ConfigureAwait(false))
            {
                var response = call.ResponseStream.Current;
                if (response.Canceled || response.CompactRevision != 0)
                {
                    // Compacted past our revision, or refused: read afresh.
                    return;
                }

                backoff.Reset();
                if (response.Events.Count > 0)
                {
                    apply(response.Events);
                }
            }
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            // The recheck interval passed: read afresh and watch again.
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && !stop.IsCancellationRequested)
        {
        }
    }
}
