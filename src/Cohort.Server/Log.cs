using Microsoft.Extensions.Logging;

namespace Cohort.Server;

/// <summary>The server's log messages (event ids 6000–6999).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 6000, Level = LogLevel.Information, Message = "node {Address} started as {Role}, data in {DataDirectory}, {Resources} resources")]
    public static partial void Started(ILogger logger, string address, string role, string dataDirectory, int resources);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "coordinator recovery re-drove {Decisions} unfinished decisions")]
    public static partial void Recovered(ILogger logger, int decisions);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    public static partial void RequestFailed(ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Information, Message = "joined master {Master} with resources {Resources}")]
    public static partial void Joined(ILogger logger, string master, string resources);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning, Message = "joining master {Master} failed: {Error}; retrying")]
    public static partial void JoinFailed(ILogger logger, string master, string error);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Information, Message = "node {Address} is now {State}")]
    public static partial void MemberChanged(ILogger logger, string address, string state);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Information, Message = "node {Address} joined with resources {Resources}")]
    public static partial void MemberJoined(ILogger logger, string address, string resources);
}
