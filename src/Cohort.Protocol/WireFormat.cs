using System.Collections.Immutable;
using Cohort.Core;
using static Cohort.Protocol.WireFields;

namespace Cohort.Protocol;

/// <summary>
/// The one codec of the node-to-node protocol messages (<c>/internal/…</c>): each message record to and from its JSON
/// shape, a <see cref="Value"/> map written with <see cref="ValueJson"/>. Every message carries what the receiver
/// needs to act alone. Fields are read with <see cref="WireFields"/>, which refuses a malformed one as <c>bad_json</c>.
/// </summary>
public static class WireFormat
{
    /// <summary>An operation in a transaction (<c>/internal/apply</c>).</summary>
    public static Value Apply(ApplyRequest r) => Value.Map(
        ("tx_id", r.TxId.ToString()), ("epoch", r.Epoch), ("deadline", Time(r.Deadline)), ("resource", r.Resource),
        ("op", r.Operation.ToValue()), ("sequence", r.Sequence), ("term", r.Term));

    /// <summary>Reads <see cref="Apply"/>.</summary>
    public static ApplyRequest ReadApply(Value v) => new(
        Tx(v), Long(v, "epoch"), Deadline(v), Str(v, "resource"), Operation.FromValue(Field(v, "op")), Int(v, "sequence"), Term(v));

    /// <summary>The answer to <see cref="Apply"/>.</summary>
    public static Value ApplyAnswer(ApplyAnswer a) => Value.Map(("result", a.Result), ("wrote", a.Wrote));

    /// <summary>Reads <see cref="ApplyAnswer(Protocol.ApplyAnswer)"/>; an answer without <c>wrote</c> (an older node) counts as a write.</summary>
    public static ApplyAnswer ReadApplyAnswer(Value v) => new(Field(v, "result"), OptBoolOrNull(v, "wrote") ?? true);

    /// <summary>A prepare (phase one) of one participant (<c>/internal/prepare</c>).</summary>
    public static Value Prepare(PrepareRequest r) => Value.Map(
        ("tx_id", r.TxId.ToString()), ("epoch", r.Epoch), ("deadline", Time(r.Deadline)), ("resource", r.Resource),
        ("coordinator", Value.From(r.Coordinator)), ("operation_count", r.OperationCount), ("keep_read_locks", r.KeepReadLocks), ("term", r.Term));

    /// <summary>Reads <see cref="Prepare"/>.</summary>
    public static PrepareRequest ReadPrepare(Value v) => new(
        Tx(v), Long(v, "epoch"), Deadline(v), Str(v, "resource"), OptStr(v, "coordinator"), Int(v, "operation_count"), OptBool(v, "keep_read_locks"), Term(v));

    /// <summary>A whole participant's work and its prepare in one message (<c>/internal/batch</c>).</summary>
    public static Value Batch(BatchPrepareRequest r) => Value.Map(
        ("tx_id", r.TxId.ToString()), ("epoch", r.Epoch), ("deadline", Time(r.Deadline)), ("resource", r.Resource),
        ("ops", Value.List(ImmutableArray.CreateRange(r.Operations.Select(o => o.ToValue())))), ("coordinator", Value.From(r.Coordinator)), ("one_phase", r.CommitOnePhase),
        ("keep_read_locks", r.KeepReadLocks), ("term", r.Term));

    /// <summary>Reads <see cref="Batch"/>.</summary>
    public static BatchPrepareRequest ReadBatch(Value v) => new(
        Tx(v), Long(v, "epoch"), Deadline(v), Str(v, "resource"),
        [.. List(v, "ops").Select(Operation.FromValue)], OptStr(v, "coordinator"), OptBool(v, "one_phase"), OptBool(v, "keep_read_locks"), Term(v));

    /// <summary>The answer to <see cref="Batch"/>: the operations' results and the vote.</summary>
    public static Value BatchResult(BatchPrepareResult r) => Value.Map(
        ("results", Value.List(ImmutableArray.CreateRange(r.Results))), ("vote", VoteValue(r.Vote)), ("error", Value.From(r.Error)));

    /// <summary>Reads <see cref="BatchResult"/>.</summary>
    public static BatchPrepareResult ReadBatchResult(Value v) => new([.. List(v, "results")], ReadVote(Field(v, "vote")), OptStr(v, "error"));

    /// <summary>A commit decision for one participant (phase two, <c>/internal/commit</c>).</summary>
    public static Value Commit(CommitRequest r) => Value.Map(
        ("tx_id", r.TxId.ToString()), ("epoch", r.Epoch), ("resource", r.Resource), ("commit_ts", r.CommitTimestamp.Value),
        ("participants", Value.List(ImmutableArray.CreateRange(r.Participants.Select(p => Value.Map(("resource", p.Resource), ("node", p.Node)))))), ("term", r.Term));

    /// <summary>Reads <see cref="Commit"/>.</summary>
    public static CommitRequest ReadCommit(Value v) => new(
        Tx(v), Long(v, "epoch"), Str(v, "resource"), new HlcTimestamp(Long(v, "commit_ts")),
        [.. List(v, "participants").Select(p => new Participant(Str(p, "resource"), Str(p, "node")))], Term(v));

    /// <summary>A one-phase commit of a transaction's only writer (<c>/internal/commit-one-phase</c>).</summary>
    public static Value OnePhase(OnePhaseCommitRequest r) => Value.Map(
        ("tx_id", r.TxId.ToString()), ("epoch", r.Epoch), ("resource", r.Resource), ("commit_ts", r.CommitTimestamp.Value), ("operation_count", r.OperationCount), ("term", r.Term));

    /// <summary>Reads <see cref="OnePhase"/>.</summary>
    public static OnePhaseCommitRequest ReadOnePhase(Value v) => new(
        Tx(v), Long(v, "epoch"), Str(v, "resource"), new HlcTimestamp(Long(v, "commit_ts")), Int(v, "operation_count"), Term(v));

    /// <summary>An abort for one participant (<c>/internal/abort</c>).</summary>
    public static Value Abort(AbortRequest r) => Value.Map(("tx_id", r.TxId.ToString()), ("epoch", r.Epoch), ("resource", r.Resource), ("term", r.Term));

    /// <summary>Reads <see cref="Abort"/>.</summary>
    public static AbortRequest ReadAbort(Value v) => new(Tx(v), Long(v, "epoch"), Str(v, "resource"), Term(v));

    // A resource's configuration term (0 when missing: an unreplicated resource, or an older sender); never negative.
    private static long Term(Value v) => OptLong(v, "term") is { } term
        ? term >= 0 ? term : throw Bad("field 'term' must be an integer of 0 or more")
        : 0;

    /// <summary>A participant's vote.</summary>
    public static Value VoteValue(Vote vote) => Value.Map(
        ("vote", vote.Kind switch { VoteKind.Yes => "yes", VoteKind.ReadOnly => "read-only", _ => "no" }),
        ("prepare_ts", vote.PrepareTimestamp.Value),
        ("holds_locks", vote.HoldsLocks),
        ("reason", Value.From(vote.Reason)));

    /// <summary>Reads <see cref="VoteValue"/>.</summary>
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

    /// <summary>The coordinator's answer to a participant asking for a decision (<c>/internal/decision</c>).</summary>
    public static Value Decision(DecisionAnswer answer) => Value.Map(
        ("decision", answer.Kind switch { DecisionAnswerKind.Committed => "committed", DecisionAnswerKind.Aborted => "aborted", _ => "pending" }),
        ("commit_ts", answer.CommitTimestamp.Value));

    /// <summary>Reads <see cref="Decision"/>.</summary>
    public static DecisionAnswer ReadDecision(Value v) => Str(v, "decision") switch
    {
        "committed" => DecisionAnswer.Committed(new HlcTimestamp(Long(v, "commit_ts"))),
        "aborted" => DecisionAnswer.Aborted,
        _ => DecisionAnswer.Pending,
    };
}
