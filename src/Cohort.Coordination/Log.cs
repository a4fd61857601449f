using Cohort.Core;
using Cohort.Protocol;
using Microsoft.Extensions.Logging;

namespace Cohort.Coordination;

/// <summary>Source-generated log messages of Cohort.Coordination (event ids 5000–5999).</summary>
internal static partial class Log
{
    // Coordinator: 5000–5099.
    [LoggerMessage(EventId = 5000, Level = LogLevel.Debug, Message = "tx {TxId}: begun (label {Label}, deadline {Deadline:O})")]
    public static partial void Begun(ILogger logger, TxId txId, string? label, DateTimeOffset deadline);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Debug, Message = "tx {TxId}: operation on {Resource} failed with {Code}: {Error}")]
    public static partial void OperationFailed(ILogger logger, TxId txId, string resource, string code, string error);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Debug, Message = "tx {TxId}: commit started with {Participants} participants, {Writers} writing")]
    public static partial void CommitStarted(ILogger logger, TxId txId, int participants, int writers);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Debug, Message = "tx {TxId}: {Resource} voted {Vote}")]
    public static partial void Voted(ILogger logger, TxId txId, string resource, Vote vote);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Information, Message = "tx {TxId}: aborting: {Reason}")]
    public static partial void Aborting(ILogger logger, TxId txId, string reason);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Debug, Message = "tx {TxId}: committed without a decision record (one writer or none)")]
    public static partial void CommittedWithoutDecision(ILogger logger, TxId txId);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Debug, Message = "tx {TxId}: commit decided and durable for {Participants} participants at {CommitTimestamp}; client told committed")]
    public static partial void Decided(ILogger logger, TxId txId, int participants, HlcTimestamp commitTimestamp);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Error, Message = "tx {TxId}: the decision log failed while recording the commit; outcome in doubt until the coordinator restarts")]
    public static partial void DecisionNotDurable(ILogger logger, TxId txId, Exception error);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Warning, Message = "tx {TxId}: phase two to {Resource} failed (attempt {Attempt}), retrying: {Error}")]
    public static partial void CommitRetry(ILogger logger, TxId txId, string resource, int attempt, string error);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Critical, Message = "tx {TxId}: {Resource} refused a decided commit (it voted Yes): {Error}")]
    public static partial void CommitRefused(ILogger logger, TxId txId, string resource, string error);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Debug, Message = "tx {TxId}: every participant acknowledged the commit; END written")]
    public static partial void Ended(ILogger logger, TxId txId);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Warning, Message = "tx {TxId}: one-phase commit on {Resource} unconfirmed; reporting in-doubt and asking again")]
    public static partial void OnePhaseInDoubt(ILogger logger, TxId txId, string resource);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Debug, Message = "tx {TxId}: one-phase commit on {Resource} got no answer: {Error}")]
    public static partial void OnePhaseUnconfirmed(ILogger logger, TxId txId, string resource, string error);

    [LoggerMessage(EventId = 5013, Level = LogLevel.Information, Message = "tx {TxId}: in-doubt outcome resolved: {Outcome}")]
    public static partial void InDoubtResolved(ILogger logger, TxId txId, string outcome);

    [LoggerMessage(EventId = 5014, Level = LogLevel.Warning, Message = "tx {TxId}: abort not delivered to {Resource} ({Error}); it will learn the outcome by asking (presumed abort)")]
    public static partial void AbortNotDelivered(ILogger logger, TxId txId, string resource, string error);

    [LoggerMessage(EventId = 5020, Level = LogLevel.Information, Message = "tx {TxId}: commit timestamp not delivered to read-only {Resource} ({Error}); it keeps its read locks until it asks for the decision")]
    public static partial void ReleaseNotDelivered(ILogger logger, TxId txId, string resource, string error);

    [LoggerMessage(EventId = 5015, Level = LogLevel.Information, Message = "tx {TxId}: deadline {Deadline:O} passed while active; aborting")]
    public static partial void Expired(ILogger logger, TxId txId, DateTimeOffset deadline);

    [LoggerMessage(EventId = 5016, Level = LogLevel.Information, Message = "tx {TxId}: re-driving phase two of a recovered decision ({Participants} participants, epoch {Epoch})")]
    public static partial void Redriving(ILogger logger, TxId txId, int participants, long epoch);

    [LoggerMessage(EventId = 5017, Level = LogLevel.Information, Message = "coordinator {NodeId} (epoch {Epoch}) recovered: {Unfinished} unfinished decisions re-driven")]
    public static partial void Recovered(ILogger logger, string nodeId, long epoch, int unfinished);

    [LoggerMessage(EventId = 5018, Level = LogLevel.Debug, Message = "tx {TxId}: decision queried by a participant: {Answer}")]
    public static partial void DecisionQueried(ILogger logger, TxId txId, string answer);

    [LoggerMessage(EventId = 5019, Level = LogLevel.Error, Message = "tx {TxId}: commit failed unexpectedly")]
    public static partial void CommitFailed(ILogger logger, TxId txId, Exception error);

    [LoggerMessage(EventId = 5021, Level = LogLevel.Warning, Message = "coordinator {NodeId} leads at epoch {Epoch}: took over {Adopted} of {Unfinished} unfinished decisions in the shared log")]
    public static partial void Adopted(ILogger logger, string nodeId, long epoch, int adopted, int unfinished);

    [LoggerMessage(EventId = 5022, Level = LogLevel.Information, Message = "tx {TxId}: decision looked up in the shared log (leader: {Leader}): {Answer}")]
    public static partial void DecisionSettled(ILogger logger, TxId txId, string answer, bool leader);

    [LoggerMessage(EventId = 5023, Level = LogLevel.Warning, Message = "tx {TxId}: the decision write had ended in doubt; the shared log settles it {Outcome}")]
    public static partial void InDoubtSettled(ILogger logger, TxId txId, string outcome);

    [LoggerMessage(EventId = 5024, Level = LogLevel.Warning, Message = "tx {TxId}: the decision log refused the commit ({Error}); nothing was recorded, aborting")]
    public static partial void DecisionRefused(ILogger logger, TxId txId, string error);

    // Decision log: 5100–5199.
    [LoggerMessage(EventId = 5100, Level = LogLevel.Information, Message = "decision log opened in {Directory}: snapshot segment {Segment}, {Records} records replayed, {Unfinished} unfinished decisions")]
    public static partial void DecisionLogOpened(ILogger logger, string directory, long segment, long records, int unfinished);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "decision log: {Message}")]
    public static partial void DecisionLogTornTail(ILogger logger, string message);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Debug, Message = "tx {TxId}: COMMIT record durable ({Participants} participants, commit timestamp {CommitTimestamp})")]
    public static partial void DecisionDurable(ILogger logger, TxId txId, int participants, HlcTimestamp commitTimestamp);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Warning, Message = "tx {TxId}: END record not written ({Error}); phase two repeats after a restart")]
    public static partial void EndNotWritten(ILogger logger, TxId txId, string error);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Information, Message = "decision log compacted before segment {Segment}: snapshot of {Bytes} bytes, {Deleted} segments deleted")]
    public static partial void DecisionLogCompacted(ILogger logger, long segment, int bytes, int deleted);

    [LoggerMessage(EventId = 5105, Level = LogLevel.Error, Message = "decision log compaction failed")]
    public static partial void DecisionLogCompactionFailed(ILogger logger, Exception error);

    // Participant host: 5200–5299.
    [LoggerMessage(EventId = 5200, Level = LogLevel.Warning, Message = "tx {TxId}: {Resource} refused a message with stale epoch {Epoch} (newest {Newest})")]
    public static partial void StaleEpoch(ILogger logger, TxId txId, string resource, long epoch, long newest);

    [LoggerMessage(EventId = 5201, Level = LogLevel.Warning, Message = "tx {TxId}: {Resource} refused operation {Sequence} (expected {Expected}): duplicate or out of sequence")]
    public static partial void OutOfOrder(ILogger logger, TxId txId, string resource, int sequence, int expected);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Warning, Message = "tx {TxId}: {Resource} ran {Actual} operations but the coordinator sent {Expected}")]
    public static partial void OperationCountMismatch(ILogger logger, TxId txId, string resource, int expected, int actual);

    [LoggerMessage(EventId = 5203, Level = LogLevel.Information, Message = "tx {TxId}: {Resource} holds it prepared past its deadline; asking coordinator {Coordinator}")]
    public static partial void Terminating(ILogger logger, TxId txId, string resource, string coordinator);

    [LoggerMessage(EventId = 5207, Level = LogLevel.Information, Message = "tx {TxId}: {Resource} holds it prepared past its deadline; no coordinator was recorded at prepare, so asking the current master")]
    public static partial void TerminatingViaMaster(ILogger logger, TxId txId, string resource);

    [LoggerMessage(EventId = 5204, Level = LogLevel.Information, Message = "tx {TxId}: {Resource} applied the coordinator's decision: {Outcome}")]
    public static partial void TerminationResolved(ILogger logger, TxId txId, string resource, string outcome);

    [LoggerMessage(EventId = 5205, Level = LogLevel.Debug, Message = "tx {TxId}: {Resource} asked for the decision (attempt {Attempt}): still pending")]
    public static partial void TerminationPending(ILogger logger, TxId txId, string resource, int attempt);

    [LoggerMessage(EventId = 5206, Level = LogLevel.Warning, Message = "tx {TxId}: {Resource} could not learn the decision (attempt {Attempt}): {Error}")]
    public static partial void TerminationFailed(ILogger logger, TxId txId, string resource, int attempt, string error);
}
