using System.Collections.Immutable;
using System.Globalization;
using Cohort.Coordination;
using Cohort.Core;

namespace Cohort.Server.Http;

/// <summary>
/// The JSON shapes of the node-to-node protocol messages (<c>/internal/…</c>), as <see cref="Value"/> maps written
/// with <see cref="ValueJson"/>. Every message carries what the receiver needs to act alone.
/// </summary>
internal static class WireFormat
{
    public static Value Apply(ApplyRequest r) => Value.Map(
        ("tx_id", r.TxId.ToString()), ("epoch", r.Epoch), ("deadline", Time(r.Deadline)), ("resource", r.Resource),
        ("op", r.Operation.ToValue()), ("sequence", r.Sequence));

    public static ApplyRequest ReadApply(Value v) => new(
        Tx(v), Long(v, "epoch"), Deadline(v), Str(v, "resource"), Operation.FromValue(Field(v, "op")), Int(v, "sequence"));

    public static Value Prepare(PrepareRequest r) => Value.Map(
        ("tx_id", r.TxId.ToString()), ("epoch", r.Epoch), ("deadline", Time(r.Deadline)), ("resource", r.Resource),
        ("coordinator", Value.From(r.Coordinator)), ("operation_count", r.OperationCount), ("keep_read_locks", r.KeepReadLocks));

    public static PrepareRequest ReadPrepare(Value v) => new(
        Tx(v), Long(v, "epoch"), Deadline(v), Str(v, "resource"), OptStr(v, "coordinator"), Int(v, "operation_count"), OptBool(v, "keep_read_locks"));

    public static Value Batch(BatchPrepareRequest r) => Value.Map(
        ("tx_id", r.TxId.ToString()), ("epoch", r.Epoch), ("deadline", Time(r.Deadline)), ("resource", r.Resource),
        ("ops", Value.List(ImmutableArray.CreateRange(r.Operations.Select(o => o.ToValue())))), ("coordinator", Value.From(r.Coordinator)), ("one_phase", r.CommitOnePhase),
        ("keep_read_locks", r.KeepReadLocks));

    public static BatchPrepareRequest ReadBatch(Value v) => new(
        Tx(v), Long(v, "epoch"), Deadline(v), Str(v, "resource"),
        [.. List(v, "ops").Select(Operation.FromValue)], OptStr(v, "coordinator"), OptBool(v, "one_phase"), OptBool(v, "keep_read_locks"));

    public static Value BatchResult(BatchPrepareResult r) => Value.Map(
        ("results", Value.List(ImmutableArray.CreateRange(r.Results))), ("vote", VoteValue(r.Vote)), ("error", Value.From(r.Error)));

    public static BatchPrepareResult ReadBatchResult(Value v) => new([.. List(v, "results")], ReadVote(Field(v, "vote")), OptStr(v, "error"));

    public static Value Commit(CommitRequest r) => Value.Map(
        ("tx_id", r.TxId.ToString()), ("epoch", r.Epoch), ("resource", r.Resource), ("commit_ts", r.CommitTimestamp.Value),
        ("participants", Value.List(ImmutableArray.CreateRange(r.Participants.Select(p => Value.Map(("resource", p.Resource), ("node", p.Node)))))));

    public static CommitRequest ReadCommit(Value v) => new(
        Tx(v), Long(v, "epoch"), Str(v, "resource"), new HlcTimestamp(Long(v, "commit_ts")),
        [.. List(v, "participants").Select(p => new Participant(Str(p, "resource"), Str(p, "node")))]);

    public static Value OnePhase(OnePhaseCommitRequest r) => Value.Map(
        ("tx_id", r.TxId.ToString()), ("epoch", r.Epoch), ("resource", r.Resource), ("commit_ts", r.CommitTimestamp.Value), ("operation_count", r.OperationCount));

    public static OnePhaseCommitRequest ReadOnePhase(Value v) => new(
        Tx(v), Long(v, "epoch"), Str(v, "resource"), new HlcTimestamp(Long(v, "commit_ts")), Int(v, "operation_count"));

    public static Value Abort(AbortRequest r) => Value.Map(("tx_id", r.TxId.ToString()), ("epoch", r.Epoch), ("resource", r.Resource));

    public static AbortRequest ReadAbort(Value v) => new(Tx(v), Long(v, "epoch"), Str(v, "resource"));

    public static Value VoteValue(Vote vote) => Value.Map(
        ("vote", vote.Kind switch { VoteKind.Yes => "yes", VoteKind.ReadOnly => "read-only", _ => "no" }),
        ("prepare_ts", vote.PrepareTimestamp.Value),
        ("holds_locks", vote.HoldsLocks),
        ("reason", Value.From(vote.Reason)));

    public static Vote ReadVote(Value v) => Str(v, "vote") switch
    {
        "yes" => Vote.Yes(new HlcTimestamp(Long(v, "prepare_ts"))),
        "read-only" => Vote.ReadOnly(new HlcTimestamp(Long(v, "prepare_ts")), OptBool(v, "holds_locks")),
        _ => Vote.No(OptStr(v, "reason") ?? "no"),
    };

    /// <summary>The answer to a one-phase commit: the timestamp it committed at.</summary>
    public static Value Committed(HlcTimestamp commitTimestamp) => Value.Map(("ok", true), ("commit_ts", commitTimestamp.Value));

    /// <summary>The timestamp of a one-phase commit's answer; null from a node that predates it (it answered only "ok").</summary>
    public static HlcTimestamp? ReadCommitted(Value v) =>
        v.Kind == ValueKind.Map && v.TryGetField("commit_ts", out _) ? new HlcTimestamp(Long(v, "commit_ts")) : null;

    public static Value Decision(DecisionAnswer answer) => Value.Map(
        ("decision", answer.Kind switch { DecisionAnswerKind.Committed => "committed", DecisionAnswerKind.Aborted => "aborted", _ => "pending" }),
        ("commit_ts", answer.CommitTimestamp.Value));

    public static DecisionAnswer ReadDecision(Value v) => Str(v, "decision") switch
    {
        "committed" => DecisionAnswer.Committed(new HlcTimestamp(Long(v, "commit_ts"))),
        "aborted" => DecisionAnswer.Aborted,
        _ => DecisionAnswer.Pending,
    };

    public static string Time(DateTimeOffset time) => time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    public static Value Field(Value v, string name) =>
        v.Kind == ValueKind.Map && v.TryGetField(name, out var field) ? field : throw Bad($"missing field '{name}'");

    public static string Str(Value v, string name) =>
        Field(v, name) is { Kind: ValueKind.String } s ? s.AsString() : throw Bad($"field '{name}' must be a string");

    public static string? OptStr(Value v, string name) =>
        v.Kind == ValueKind.Map && v.TryGetField(name, out var f) && f.Kind == ValueKind.String ? f.AsString() : null;

    public static bool OptBool(Value v, string name) =>
        v.Kind == ValueKind.Map && v.TryGetField(name, out var f) && f.Kind == ValueKind.Bool && f.AsBool();

    public static long Long(Value v, string name) =>
        Field(v, name).TryGetInt64(out var n) ? n : throw Bad($"field '{name}' must be an integer");

    /// <summary>A count or sequence number: an integer from 0 to <see cref="int.MaxValue"/>.</summary>
    public static int Int(Value v, string name) =>
        Field(v, name).TryGetInt64(out var n) && n is >= 0 and <= int.MaxValue ? (int)n : throw Bad($"field '{name}' must be an integer from 0 to {int.MaxValue}");

    public static ImmutableArray<Value> List(Value v, string name) =>
        Field(v, name) is { Kind: ValueKind.List } l ? l.AsList() : throw Bad($"field '{name}' must be a list");

    public static TxId Tx(Value v, string name = "tx_id") =>
        TxId.TryParse(Str(v, name), null, out var id) ? id : throw Bad($"'{Str(v, name)}' is not a transaction id");

    // Written by Time (the round-trip "O" form), which has a fast exact parser; any other ISO-8601 form is accepted too.
    private static DateTimeOffset Deadline(Value v)
    {
        var text = Str(v, "deadline");
        return DateTimeOffset.TryParseExact(text, "O", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            || DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out t)
            ? t
            : throw Bad("field 'deadline' must be an ISO-8601 time");
    }

    private static CohortException Bad(string message) => new(ErrorCodes.BadJson, message, isTransient: false);
}
