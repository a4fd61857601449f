using Microsoft.Extensions.Logging;

namespace Cohort.Server.Replication;

/// <summary>Replicated resources' log messages (event ids 6100–6199).</summary>
internal static partial class ReplicationLog
{
    [LoggerMessage(EventId = 6100, Level = LogLevel.Information, Message = "{Resource}: primary here at configuration version {Version}, replicas [{Replicas}] ({How})")]
    public static partial void BecamePrimary(ILogger logger, string resource, long version, string replicas, string how);

    [LoggerMessage(EventId = 6101, Level = LogLevel.Information, Message = "{Resource}: replica here at configuration version {Version} (primary {Primary})")]
    public static partial void BecameReplica(ILogger logger, string resource, long version, string primary);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Warning, Message = "{Resource}: stepped down as primary ({Why})")]
    public static partial void SteppedDown(ILogger logger, string resource, string why);

    [LoggerMessage(EventId = 6103, Level = LogLevel.Warning, Message = "{Resource}: replica {Replica} failed ({Error}); asking the leader to take it out of configuration version {Version}")]
    public static partial void ReplicaFailed(ILogger logger, string resource, string replica, long version, string error);

    [LoggerMessage(EventId = 6104, Level = LogLevel.Information, Message = "{Resource}: replica {Replica} caught up; asking the leader to add it to configuration version {Version}")]
    public static partial void ReplicaCaughtUp(ILogger logger, string resource, string replica, long version);

    [LoggerMessage(EventId = 6105, Level = LogLevel.Warning, Message = "{Resource}: fenced as primary at version {Version} ({Error})")]
    public static partial void Fenced(ILogger logger, string resource, long version, string error);

    [LoggerMessage(EventId = 6106, Level = LogLevel.Information, Message = "{Resource}: configuration changed to version {Version}: primary {Primary}, replicas [{Replicas}] ({Why})")]
    public static partial void Changed(ILogger logger, string resource, long version, string primary, string replicas, string why);

    [LoggerMessage(EventId = 6107, Level = LogLevel.Warning, Message = "{Resource}: a configuration change ({What}) failed: {Error}")]
    public static partial void ChangeFailed(ILogger logger, string resource, string what, string error);

    [LoggerMessage(EventId = 6108, Level = LogLevel.Error, Message = "{Resource}: this node is its primary at configuration version {Version}, but its directory {Directory} holds no member's copy (a lost disk?): not opening it; asking the leader to promote a replica")]
    public static partial void PrimaryWithoutData(ILogger logger, string resource, long version, string directory);

    [LoggerMessage(EventId = 6109, Level = LogLevel.Warning, Message = "{Resource}: primary {Primary} is down and no replica of configuration version {Version} is alive: unavailable until one is")]
    public static partial void NoCandidate(ILogger logger, string resource, string primary, long version);

    [LoggerMessage(EventId = 6110, Level = LogLevel.Information, Message = "{Resource}: catching up {Replica} to bring the configuration back to {Factor} copies")]
    public static partial void CatchingUp(ILogger logger, string resource, string replica, int factor);

    [LoggerMessage(EventId = 6111, Level = LogLevel.Warning, Message = "{Resource}: reconciling with configuration version {Version} failed")]
    public static partial void ReconcileFailed(ILogger logger, string resource, long version, Exception exception);

    [LoggerMessage(EventId = 6112, Level = LogLevel.Debug, Message = "{Resource}: a participant request with configuration term {Term} refused (term {Current}, primary {Primary})")]
    public static partial void TermRefused(ILogger logger, string resource, long term, long current, string primary);

    [LoggerMessage(EventId = 6113, Level = LogLevel.Information, Message = "{Resource}: promoted; waiting {WaitMs:0} ms for the old primary's read lease to run out before serving")]
    public static partial void WaitingOutLease(ILogger logger, string resource, double waitMs);
}
