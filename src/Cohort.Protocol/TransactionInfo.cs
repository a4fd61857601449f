using System.Collections.Immutable;
using System.Globalization;
using Cohort.Core;
using static Cohort.Protocol.WireFields;

namespace Cohort.Protocol;

/// <summary>The coordinator's record of a transaction: the answer of <c>GET /v1/tx/{id}</c> and a row of <c>GET /v1/tx</c>.</summary>
/// <param name="TxId">The transaction id.</param>
/// <param name="State">Its state.</param>
/// <param name="Label">The label it was begun with, if any.</param>
/// <param name="Deadline">When it aborts if not committed.</param>
/// <param name="Reason">Why it aborted or is in doubt, if it did or is.</param>
/// <param name="Participants">Its participants.</param>
/// <param name="CommitTimestamp">The commit timestamp, once the transaction committed or a commit was decided.</param>
/// <param name="DecisionEpoch">The epoch of the master that logged a commit decision (two-phase commits), if one did.</param>
public sealed record TransactionInfo(
    TxId TxId,
    TransactionState State,
    string? Label,
    DateTimeOffset? Deadline,
    string? Reason,
    ImmutableArray<ParticipantInfo> Participants,
    HlcTimestamp? CommitTimestamp,
    long? DecisionEpoch = null)
{
    /// <summary>The states the coordinator moved the transaction through, oldest first, with when (empty from nodes that do not send it).</summary>
    public ImmutableArray<TransactionStateChange> Timeline { get; init; } = [];

    /// <summary>Reads the wire form; fields a node did not send read as null (or <see cref="TransactionState.Unknown"/>).</summary>
    /// <param name="value">The JSON answer.</param>
    /// <returns>The record.</returns>
    public static TransactionInfo FromValue(Value value)
    {
        var participants = value.Kind == ValueKind.Map && value.TryGetField("participants", out var p) && p.Kind == ValueKind.List
            ? p.AsList().Select(ParticipantInfo.FromValue).ToImmutableArray()
            : [];
        var decision = value.Kind == ValueKind.Map && value.TryGetField("decision", out var d) && d.Kind == ValueKind.Map ? d : Value.Null;
        // Every committed transaction answers its commit timestamp; a decision (two-phase commit) carries it as well.
        HlcTimestamp? commitTs = OptLong(value, "commit_ts") is > 0 and var at ? new HlcTimestamp(at)
            : OptLong(decision, "commit_ts") is { } hlc ? new HlcTimestamp(hlc)
            : null;
        return new TransactionInfo(
            TxId.TryParse(OptStr(value, "tx_id"), out var id) ? id : TxId.Empty,
            TransactionStateNames.Parse(OptStr(value, "state")),
            OptStr(value, "label"),
            OptStr(value, "deadline") is { } dl && DateTimeOffset.TryParse(dl, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var deadline) ? deadline : null,
            OptStr(value, "reason"),
            participants,
            commitTs,
            OptLong(decision, "epoch"))
        {
            Timeline = value.Kind == ValueKind.Map && value.TryGetField("timeline", out var t) && t.Kind == ValueKind.List
                ? [.. t.AsList().Select(TransactionStateChange.FromValue).OfType<TransactionStateChange>()]
                : [],
        };
    }

    /// <summary>The wire form.</summary>
    /// <returns>The JSON object.</returns>
    public Value ToValue() => Value.Map(
        ("tx_id", TxId.ToString()),
        ("state", State.ToWireName()),
        ("label", Value.From(Label)),
        ("deadline", Deadline is { } deadline ? Time(deadline) : Value.Null),
        ("reason", Value.From(Reason)),
        ("participants", Value.List(ImmutableArray.CreateRange(Participants.Select(x => x.ToValue())))),
        ("decision", DecisionEpoch is { } epoch && CommitTimestamp is { } decided ? Value.Map(("commit_ts", decided.Value), ("epoch", epoch)) : Value.Null),
        ("commit_ts", CommitTimestamp is { } at ? at.Value : Value.Null),
        ("timeline", Value.List(ImmutableArray.CreateRange(Timeline.Select(x => x.ToValue())))));
}
