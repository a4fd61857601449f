using Microsoft.Extensions.Logging;

namespace Cohort.Server;

/// <summary>
/// What a node does when a log's write or fsync fails: it stops at once. After a failed fsync the file's unsynced
/// contents are unknown (the kernel may have dropped them and cleared the error), so carrying on — even refusing
/// writes — would leave transactions in doubt with no way to learn their fate; a restart recovers from what the disk
/// really holds, and the supervisor (systemd, Kubernetes) brings the node back.
/// </summary>
internal static class FailStop
{
    public static Action<Exception> On(ILogger logger, string what) => error =>
    {
        Log.StorageFailed(logger, what, error.Message);
        Environment.FailFast($"cohort: the {what} failed ({error.Message}); stopping so that a restart recovers from what the disk holds");
    };
}
