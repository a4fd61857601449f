using Cohort.Cluster;
using Cohort.Core;
using Microsoft.Extensions.Logging;

namespace Cohort.Etcd;

/// <summary>Source-generated log messages of Cohort.Etcd (event ids 8000–8999).</summary>
internal static partial class Log
{
    // Leadership: 8000–8099.
    [LoggerMessage(EventId = 8000, Level = LogLevel.Warning, Message = "{Candidate} leads under {Key} at epoch {Epoch} (lease {Lease:x})")]
    public static partial void BecameLeader(ILogger logger, string candidate, string key, long epoch, long lease);

    [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "{Candidate} follows {Leader} at epoch {Epoch}")]
    public static partial void Following(ILogger logger, string candidate, string leader, long epoch);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Warning, Message = "{Candidate} lost the leader key (epoch {Epoch}): {Reason}")]
    public static partial void LostLeadership(ILogger logger, string candidate, long epoch, string reason);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Information, Message = "{Candidate} was granted lease {Lease:x} for {Ttl} s")]
    public static partial void LeaseGranted(ILogger logger, string candidate, long lease, long ttl);

    [LoggerMessage(EventId = 8004, Level = LogLevel.Warning, Message = "{Candidate} lost lease {Lease:x}: {Reason}")]
    public static partial void LeaseLost(ILogger logger, string candidate, long lease, string reason);

    [LoggerMessage(EventId = 8005, Level = LogLevel.Debug, Message = "{Candidate}: keep-alive of lease {Lease:x} failed: {Error}")]
    public static partial void KeepAliveFailed(ILogger logger, string candidate, long lease, string error);

    [LoggerMessage(EventId = 8006, Level = LogLevel.Information, Message = "{Candidate}: campaign step failed, retrying in {Delay}: {Error}")]
    public static partial void CampaignFailed(ILogger logger, string candidate, TimeSpan delay, string error);

    [LoggerMessage(EventId = 8007, Level = LogLevel.Information, Message = "{Candidate} resigned epoch {Epoch}")]
    public static partial void Resigned(ILogger logger, string candidate, long epoch);

    [LoggerMessage(EventId = 8008, Level = LogLevel.Warning, Message = "{Candidate} could not resign (its lease expires by itself): {Error}")]
    public static partial void ResignFailed(ILogger logger, string candidate, string error);

    // Decision log: 8100–8199.
    [LoggerMessage(EventId = 8100, Level = LogLevel.Information, Message = "etcd decision log opened under {Prefix}: {Unfinished} unfinished decisions")]
    public static partial void DecisionLogOpened(ILogger logger, string prefix, int unfinished);

    [LoggerMessage(EventId = 8101, Level = LogLevel.Debug, Message = "etcd decision log: {Count} decisions written in one transaction at revision {Revision} (epoch {Epoch})")]
    public static partial void DecisionsWritten(ILogger logger, int count, long revision, long epoch);

    [LoggerMessage(EventId = 8102, Level = LogLevel.Warning, Message = "etcd decision log: {Count} decisions of epoch {Epoch} refused, the leader key is no longer this node's ({Holder})")]
    public static partial void DecisionsFenced(ILogger logger, int count, long epoch, string holder);

    [LoggerMessage(EventId = 8103, Level = LogLevel.Information, Message = "etcd decision log: transaction attempt {Attempt} failed, retrying: {Error}")]
    public static partial void DecisionRetry(ILogger logger, int attempt, string error);

    [LoggerMessage(EventId = 8109, Level = LogLevel.Debug, Message = "etcd decision log: no answer within {DelayMs} ms to the write of {Count} decisions; the same transaction sent once more")]
    public static partial void DecisionHedged(ILogger logger, int count, double delayMs);

    [LoggerMessage(EventId = 8104, Level = LogLevel.Error, Message = "etcd decision log: {Count} decisions failed: {Error}")]
    public static partial void DecisionsFailed(ILogger logger, int count, string error);

    [LoggerMessage(EventId = 8105, Level = LogLevel.Warning, Message = "etcd decision log: {Count} END deletions not written ({Error}); phase two repeats for them after a failover")]
    public static partial void EndsNotWritten(ILogger logger, int count, string error);

    [LoggerMessage(EventId = 8106, Level = LogLevel.Warning, Message = "tx {TxId}: no decision in etcd; abort recorded by the leader at epoch {Epoch}")]
    public static partial void AbortRecorded(ILogger logger, TxId txId, long epoch);

    [LoggerMessage(EventId = 8107, Level = LogLevel.Error, Message = "etcd decision log: the write of {Count} decisions failed unexpectedly")]
    public static partial void DecisionLoopFailed(ILogger logger, int count, Exception error);

    [LoggerMessage(EventId = 8108, Level = LogLevel.Information, Message = "etcd decision log: reading the unfinished decisions failed (attempt {Attempt}), retrying: {Error}")]
    public static partial void LoadRetry(ILogger logger, int attempt, string error);

    // Membership and placement: 8200–8299.
    [LoggerMessage(EventId = 8200, Level = LogLevel.Information, Message = "etcd directory opened under {Prefix}: membership version {Version} ({Members}), {Resources} resources placed")]
    public static partial void DirectoryOpened(ILogger logger, string prefix, long version, string members, int resources);

    [LoggerMessage(EventId = 8201, Level = LogLevel.Information, Message = "etcd directory: reading membership and placement failed (attempt {Attempt}), retrying: {Error}")]
    public static partial void DirectoryReadRetry(ILogger logger, int attempt, string error);

    [LoggerMessage(EventId = 8205, Level = LogLevel.Information, Message = "etcd directory: {What} failed (attempt {Attempt}), retrying: {Error}")]
    public static partial void DirectoryWriteRetry(ILogger logger, string what, int attempt, string error);

    [LoggerMessage(EventId = 8202, Level = LogLevel.Information, Message = "etcd directory: the watch of membership and placement failed, retrying in {Delay}: {Error}")]
    public static partial void DirectoryWatchFailed(ILogger logger, TimeSpan delay, string error);

    [LoggerMessage(EventId = 8203, Level = LogLevel.Warning, Message = "etcd directory: membership version {Version} written: {Members} (epoch {Epoch})")]
    public static partial void MembersWritten(ILogger logger, long version, string members, long epoch);

    [LoggerMessage(EventId = 8204, Level = LogLevel.Information, Message = "etcd directory: {Resource} placed on {Node}")]
    public static partial void ResourceClaimed(ILogger logger, string resource, string node);

    // Resource configurations: 8300–8399.
    [LoggerMessage(EventId = 8300, Level = LogLevel.Information, Message = "etcd resource configurations opened under {Prefix}: {Count} configurations")]
    public static partial void ConfigurationsOpened(ILogger logger, string prefix, int count);

    [LoggerMessage(EventId = 8301, Level = LogLevel.Information, Message = "etcd resource configurations: reading them failed (attempt {Attempt}), retrying: {Error}")]
    public static partial void ConfigurationsReadRetry(ILogger logger, int attempt, string error);

    [LoggerMessage(EventId = 8302, Level = LogLevel.Information, Message = "etcd resource configurations: {What} failed (attempt {Attempt}), retrying: {Error}")]
    public static partial void ConfigurationsWriteRetry(ILogger logger, string what, int attempt, string error);

    [LoggerMessage(EventId = 8303, Level = LogLevel.Information, Message = "etcd resource configurations: the watch failed, retrying in {Delay}: {Error}")]
    public static partial void ConfigurationsWatchFailed(ILogger logger, TimeSpan delay, string error);

    [LoggerMessage(EventId = 8304, Level = LogLevel.Warning, Message = "etcd resource configurations: {Configuration} written (epoch {Epoch})")]
    public static partial void ConfigurationWritten(ILogger logger, ResourceConfiguration configuration, long epoch);

    [LoggerMessage(EventId = 8305, Level = LogLevel.Error, Message = "etcd resource configurations: the value of {Key} does not decode, so the resource has no configuration in the view: {Error}")]
    public static partial void ConfigurationUnreadable(ILogger logger, string key, string error);

    [LoggerMessage(EventId = 8306, Level = LogLevel.Warning, Message = "etcd resource configurations: {Resource}'s configuration was deleted from etcd (not by Cohort); it has none in the view")]
    public static partial void ConfigurationDeleted(ILogger logger, string resource);

    [LoggerMessage(EventId = 8307, Level = LogLevel.Error, Message = "etcd resource configurations: a Changed handler failed on {Configuration}")]
    public static partial void ConfigurationHandlerFailed(ILogger logger, ResourceConfiguration configuration, Exception error);
}
