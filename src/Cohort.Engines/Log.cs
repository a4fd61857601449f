using Cohort.Core;
using Microsoft.Extensions.Logging;

namespace Cohort.Engines;

/// <summary>Source-generated log messages of Cohort.Engines (event ids 2000–2099).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Debug, Message = "{Resource}: prepared {TxId} at {PrepareTimestamp}")]
    public static partial void Prepared(ILogger logger, string resource, TxId txId, HlcTimestamp prepareTimestamp);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "{Resource}: committed {TxId} at {CommitTimestamp}")]
    public static partial void Committed(ILogger logger, string resource, TxId txId, HlcTimestamp commitTimestamp);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Debug, Message = "{Resource}: aborted {TxId}: {Reason}")]
    public static partial void Aborted(ILogger logger, string resource, TxId txId, string reason);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "{Resource}: abort requested for {TxId}, which has already committed; ignored")]
    public static partial void AbortAfterCommit(ILogger logger, string resource, TxId txId);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "{Resource}: abort record of {TxId} not confirmed durable ({Error}); recovery will ask the coordinator")]
    public static partial void AbortRecordNotDurable(ILogger logger, string resource, TxId txId, string error);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "{Resource}: {Message}")]
    public static partial void TornTail(ILogger logger, string resource, string message);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Information, Message = "{Resource}: recovered from {Directory}: snapshot segment {SnapshotSegment}, {Records} log records replayed, {Prepared} prepared transactions awaiting a decision, in {ElapsedMs} ms")]
    public static partial void Recovered(ILogger logger, string resource, string directory, long snapshotSegment, long records, int prepared, long elapsedMs);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Information, Message = "{Resource}: snapshot written before segment {Segment} ({Bytes} bytes), {Deleted} old segments deleted")]
    public static partial void SnapshotWritten(ILogger logger, string resource, long segment, long bytes, int deleted);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Warning, Message = "{Resource}: log record {RecordType} for unknown transaction {TxId} ignored during replay")]
    public static partial void ReplayUnknown(ILogger logger, string resource, string recordType, TxId txId);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Error, Message = "{Resource}: background snapshot failed")]
    public static partial void SnapshotFailed(ILogger logger, string resource, Exception error);
}
