using Cohort.Core;
using static Cohort.Protocol.WireFields;

namespace Cohort.Protocol;

/// <summary>
/// How a transaction ended: the answer of <c>POST /v1/tx/{id}/commit</c> and of <c>POST /v1/batch</c> (which adds its
/// results).
/// </summary>
/// <param name="TxId">The transaction id.</param>
/// <param name="Status"><see cref="TransactionState.Committed"/>, <see cref="TransactionState.Aborted"/> or <see cref="TransactionState.InDoubt"/>.</param>
/// <param name="Reason">Why it aborted or is in doubt.</param>
/// <param name="Code">The error code of an abort (<see cref="ErrorCodes"/>).</param>
/// <param name="CommitTimestamp">The commit timestamp of a commit.</param>
public sealed record OutcomeAnswer(TxId TxId, TransactionState Status, string? Reason, string? Code, HlcTimestamp? CommitTimestamp)
{
    /// <summary>Reads the wire form.</summary>
    /// <param name="value">The JSON answer.</param>
    /// <returns>The record; <see cref="TransactionState.Unknown"/> status when it names none this side knows.</returns>
    public static OutcomeAnswer FromValue(Value value) => new(
        TxId.TryParse(OptStr(value, "tx_id"), out var id) ? id : TxId.Empty,
        TransactionStateNames.Parse(OptStr(value, "status")),
        OptStr(value, "reason"),
        OptStr(value, "code"),
        OptLong(value, "commit_ts") is { } ts ? new HlcTimestamp(ts) : null);

    /// <summary>The wire form: only the fields that apply.</summary>
    /// <returns>The JSON object.</returns>
    public Value ToValue()
    {
        var fields = new List<(string, Value)> { ("tx_id", TxId.ToString()), ("status", Status.ToWireName()) };
        if (Reason is { } reason)
        {
            fields.Add(("reason", reason));
        }

        if (Code is { } code)
        {
            fields.Add(("code", code));
        }

        if (CommitTimestamp is { } at)
        {
            fields.Add(("commit_ts", at.Value));
        }

        return Value.Map([.. fields]);
    }
}
