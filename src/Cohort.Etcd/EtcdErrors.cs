using Cohort.Core;
using Grpc.Core;

namespace Cohort.Etcd;

/// <summary>The transport boundary of the etcd backend: gRPC failures become catalog errors here and nowhere else.</summary>
internal static class EtcdErrors
{
    /// <summary>
    /// Whether a failed call may succeed when tried again: etcd unreachable or restarting, no etcd leader, a timeout,
    /// a leader change under a request. Bad requests (too many operations, a value too large) are not.
    /// </summary>
    public static bool IsTransient(RpcException e) => e.StatusCode is
        StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Aborted or StatusCode.ResourceExhausted
        or StatusCode.Unknown or StatusCode.Internal or StatusCode.Cancelled;

    /// <summary>
    /// Whether <paramref name="e"/> is how an etcd call can fail: an <see cref="RpcException"/>, or what the HTTP/2 layer
    /// under gRPC sometimes lets through instead (a cancellation when a connection's ping or stream times out — after the
    /// process was stopped, say —, an <see cref="HttpRequestException"/>, an <see cref="IOException"/>).
    /// </summary>
    public static bool IsCall(Exception e) => e is RpcException or OperationCanceledException or HttpRequestException or IOException;

    /// <summary>Whether a failed call (<see cref="IsCall"/>) may succeed when tried again; only some gRPC statuses are final.</summary>
    public static bool IsTransient(Exception e) => e is RpcException rpc ? IsTransient(rpc) : IsCall(e);

    /// <summary>The catalog error for any failed etcd call (<see cref="IsCall"/>).</summary>
    public static CohortException ToCohort(Exception e, string what) => e switch
    {
        RpcException rpc => ToCohort(rpc, what),
        _ => new CohortException(ErrorCodes.Unavailable, $"etcd did not answer {what}: {e.GetType().Name} ({e.Message}).", e),
    };

    /// <summary>A failed call in one line, for logs.</summary>
    public static string Describe(Exception e) => e is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : $"{e.GetType().Name}: {e.Message}";

    /// <summary>
    /// The catalog error for a failed etcd call: <see cref="ErrorCodes.Unavailable"/> (transient: etcd unreachable,
    /// without quorum or too slow; the request may or may not have been applied) or <see cref="ErrorCodes.Internal"/>.
    /// </summary>
    public static CohortException ToCohort(RpcException e, string what) =>
        IsTransient(e)
            ? new CohortException(ErrorCodes.Unavailable, $"etcd did not answer {what}: {e.Status.StatusCode} ({e.Status.Detail}).", e)
            : new CohortException(ErrorCodes.Internal, $"etcd refused {what}: {e.Status.StatusCode} ({e.Status.Detail}).", isTransient: false, e);

    /// <summary>The catalog error for running out of time across retries of <paramref name="what"/>.</summary>
    public static CohortException TimedOut(string what, TimeSpan budget, Exception? last) =>
        new(ErrorCodes.Unavailable, $"etcd did not complete {what} within {budget.TotalSeconds:0.###} s{(last is null ? string.Empty : ": " + last.Message)}.", last);
}
