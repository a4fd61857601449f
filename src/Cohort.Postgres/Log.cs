using Cohort.Core;
using Microsoft.Extensions.Logging;

namespace Cohort.Postgres;

/// <summary>The PostgreSQL participant's log messages (event ids 4000–4099).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "{Resource}: opened on database {Database} (max_prepared_transactions {MaxPrepared}); {Prepared} prepared cohort transaction(s) to resolve")]
    public static partial void Opened(ILogger logger, string resource, string database, string maxPrepared, int prepared);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Debug, Message = "{Resource}: prepared {TxId} as '{Gid}'")]
    public static partial void Prepared(ILogger logger, string resource, TxId txId, string gid);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Debug, Message = "{Resource}: committed {TxId}")]
    public static partial void Committed(ILogger logger, string resource, TxId txId);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Debug, Message = "{Resource}: aborted {TxId}: {Reason}")]
    public static partial void Aborted(ILogger logger, string resource, TxId txId, string reason);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "{Resource}: found prepared transaction '{Gid}' not started by this process; it will be resolved with the coordinator")]
    public static partial void FoundPrepared(ILogger logger, string resource, string gid);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "{Resource}: recovery scan failed: {Reason}")]
    public static partial void ScanFailed(ILogger logger, string resource, string reason);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Warning, Message = "{Resource}: abort of {TxId} did not reach PostgreSQL ({Reason}); recovery will roll back its prepared transaction")]
    public static partial void AbortFailed(ILogger logger, string resource, TxId txId, string reason);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Warning, Message = "{Resource}: abort requested for {TxId}, which has already committed; ignored")]
    public static partial void AbortAfterCommit(ILogger logger, string resource, TxId txId);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Warning, Message = "{Resource}: the connection of {TxId} failed during {Step}; outcome checked on the server: {Outcome}")]
    public static partial void InDoubtResolved(ILogger logger, string resource, TxId txId, string step, string outcome);

    [LoggerMessage(EventId = 4009, Level = LogLevel.Warning, Message = "{Resource}: this Npgsql version does not let Cohort read the transaction status after each statement; a statement that ends the transaction is caught at prepare or commit instead")]
    public static partial void SessionStatusUnavailable(ILogger logger, string resource);
}
