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
