using Microsoft.Extensions.Logging;

namespace Cohort.Server;

/// <summary>The server's log messages (event ids 6000–6999).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 6000, Level = LogLevel.Information, Message = "node {Address} started (members {Members}), data in {DataDirectory}, {Resources} resources")]
    public static partial void Started(ILogger logger, string address, string members, string dataDirectory, int resources);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "coordinator recovery re-drove {Decisions} unfinished decisions")]
    public static partial void Recovered(ILogger logger, int decisions);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    public static partial void RequestFailed(ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Warning, Message = "listening beyond loopback ({Addresses}) without --auth-token: anyone who can reach these interfaces can run transactions and change the cluster; set --auth-token (or COHORT_AUTH_TOKEN), or bind 127.0.0.1")]
    public static partial void ListeningWithoutToken(ILogger logger, string addresses);

    [LoggerMessage(EventId = 6020, Level = LogLevel.Warning, Message = "TLS: refused the certificate of {Host}: {Reason}")]
    public static partial void CertificateRefused(ILogger logger, string host, string reason);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Critical, Message = "the {What} failed ({Error}): stopping the node (fail-stop); a restart recovers from the disk")]
    public static partial void StorageFailed(ILogger logger, string what, string error);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning, Message = "leading at epoch {Epoch}, but the unfinished decisions in etcd could not be read yet ({Error}); retrying")]
    public static partial void AdoptFailed(ILogger logger, long epoch, string error);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Information, Message = "configured replicated resource {Resource} ({Copies} copies): {Outcome}")]
    public static partial void ConfiguredReplicated(ILogger logger, string resource, int copies, string outcome);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Information, Message = "configured replicated resource {Resource} ({Copies} copies) not created yet, retrying: {Error}")]
    public static partial void ConfiguredReplicatedWaiting(ILogger logger, string resource, int copies, string error);
}
