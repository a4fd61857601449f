using Microsoft.Extensions.Logging;

namespace Cohort.Cluster;

internal static partial class Log
{
    [LoggerMessage(EventId = 7000, Level = LogLevel.Warning, Message = "{Self} became master at epoch {Epoch} (alive: {Alive})")]
    public static partial void BecameMaster(ILogger logger, string self, long epoch, string alive);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "{Self} follows master {Master} at epoch {Epoch}")]
    public static partial void Following(ILogger logger, string self, string master, long epoch);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "{Self} stepped down: {Master} leads at epoch {Epoch}")]
    public static partial void SteppedDown(ILogger logger, string self, string master, long epoch);

    [LoggerMessage(EventId = 7012, Level = LogLevel.Information, Message = "{Self} adopted epoch {Epoch}, which has no master yet")]
    public static partial void AdoptedEpochWithoutMaster(ILogger logger, string self, long epoch);

    [LoggerMessage(EventId = 7013, Level = LogLevel.Warning, Message = "{Self} stepped down: epoch {Epoch} has no master yet")]
    public static partial void SteppedDownWithoutMaster(ILogger logger, string self, long epoch);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "node {Address} is down (not heard from for {Silence})")]
    public static partial void MemberDown(ILogger logger, string address, TimeSpan silence);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Information, Message = "node {Address} is alive")]
    public static partial void MemberUp(ILogger logger, string address);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Information, Message = "membership version {Version}: {Members}")]
    public static partial void MembershipChanged(ILogger logger, long version, string members);

    [LoggerMessage(EventId = 7006, Level = LogLevel.Warning, Message = "{Self} was removed from the cluster (membership version {Version}); it takes no part until it joins again")]
    public static partial void Removed(ILogger logger, string self, long version);

    [LoggerMessage(EventId = 7007, Level = LogLevel.Information, Message = "{Self} joined the cluster through {Via}")]
    public static partial void Joined(ILogger logger, string self, string via);

    [LoggerMessage(EventId = 7008, Level = LogLevel.Debug, Message = "join through {Via} failed: {Reason}")]
    public static partial void JoinFailed(ILogger logger, string via, string reason);

    [LoggerMessage(EventId = 7010, Level = LogLevel.Error, Message = "cluster loop step failed; continuing")]
    public static partial void LoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 7009, Level = LogLevel.Information, Message = "master {Master} is down; waiting for {Candidate} to take over")]
    public static partial void AwaitingCandidate(ILogger logger, string master, string candidate);

    [LoggerMessage(EventId = 7011, Level = LogLevel.Information, Message = "no master is known yet; waiting for {Candidate} to take the lead")]
    public static partial void AwaitingFirstCandidate(ILogger logger, string candidate);

    [LoggerMessage(EventId = 7020, Level = LogLevel.Warning, Message = "leading, but the membership could not be recorded in the directory yet ({Reason}); retrying")]
    public static partial void MembershipNotRecorded(ILogger logger, string reason);

    [LoggerMessage(EventId = 7021, Level = LogLevel.Error, Message = "resource {Resource} is here, but the directory places it on {Home}: this copy is not served")]
    public static partial void ResourcePlacedElsewhere(ILogger logger, string resource, string home);
}
