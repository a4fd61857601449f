using Microsoft.Extensions.Logging;

namespace Cohort.Client;

/// <summary>What a <see cref="CohortClient"/> logs (category <c>Cohort.Client.CohortClient</c>, event ids 9001–9099).</summary>
internal static partial class ClientLog
{
    [LoggerMessage(EventId = 9001, Level = LogLevel.Information, Message = "{Method} /{Path}: {Detail}; trying another node")]
    public static partial void TryingAnotherNode(ILogger logger, string method, string path, string detail);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Warning, Message = "{Method} /{Path}: no node served it in round {Round} of {Rounds}; retrying in {DelayMs:0} ms ({Detail})")]
    public static partial void RoundFailed(ILogger logger, string method, string path, int round, int rounds, double delayMs, string? detail);

    [LoggerMessage(EventId = 9003, Level = LogLevel.Information, Message = "the cluster's leader is {Leader} (was {Previous})")]
    public static partial void LeaderChanged(ILogger logger, string leader, string previous);

    [LoggerMessage(EventId = 9004, Level = LogLevel.Warning, Message = "{Method} /{Path}: the answer was lost and the call may have run, so it is not sent again: {Detail}")]
    public static partial void AnswerLost(ILogger logger, string method, string path, string? detail);

    [LoggerMessage(EventId = 9005, Level = LogLevel.Warning, Message = "tx {TxId}: the commit's answer was lost ({Why}); asking the cluster for its outcome")]
    public static partial void Resolving(ILogger logger, string txId, string why);

    [LoggerMessage(EventId = 9006, Level = LogLevel.Information, Message = "tx {TxId}: the lost commit resolved as {Outcome}")]
    public static partial void Resolved(ILogger logger, string txId, string outcome);

    [LoggerMessage(EventId = 9007, Level = LogLevel.Error, Message = "tx {TxId}: in doubt: {Why}")]
    public static partial void InDoubt(ILogger logger, string txId, string why);
}
