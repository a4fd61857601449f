using System.Collections.Immutable;
using System.Globalization;
using Cohort.Core;

namespace Cohort.Client;

/// <summary>The coordinator's record of a transaction (<c>GET /v1/tx/{id}</c>).</summary>
/// <param name="TxId">The transaction id.</param>
/// <param name="State">Its state.</param>
/// <param name="Label">The label it was begun with, if any.</param>
/// <param name="Deadline">When it aborts if not committed.</param>
/// <param name="Reason">Why it aborted or is in doubt, if it did or is.</param>
/// <param name="Participants">Its participants.</param>
/// <param name="CommitTimestamp">The commit timestamp, once the transaction committed or a commit was decided.</param>
public sealed record TransactionInfo(
    TxId TxId,
    CohortTransactionState State,
    string? Label,
    DateTimeOffset? Deadline,
    string? Reason,
    ImmutableArray<ParticipantInfo> Participants,
    HlcTimestamp? CommitTimestamp)
{
    /// <summary>Reads the wire form.</summary>
    /// <param name="value">The JSON answer.</param>
    /// <returns>The record.</returns>
    public static TransactionInfo FromValue(Value value)
    {
        string? S(Value v, string name) => CohortClient.StringField(v, name);
        var participants = value.TryGetField("participants", out var p) && p.Kind == ValueKind.List
            ? p.AsList().Select(x => new ParticipantInfo(
                S(x, "resource") ?? "?",
                S(x, "node") ?? "?",
                x.TryGetField("writes", out var w) && w.Kind == ValueKind.Bool && w.AsBool(),
                S(x, "vote"),
                x.TryGetField("acknowledged", out var a) && a.Kind == ValueKind.Bool && a.AsBool())).ToImmutableArray()
            : [];
        // Every committed transaction answers its commit timestamp; a decision (two-phase commit) carries it as well.
        HlcTimestamp? commitTs = value.TryGetField("commit_ts", out var top) && top.TryGetInt64(out var at) && at > 0 ? new HlcTimestamp(at)
            : value.TryGetField("decision", out var d) && d.Kind == ValueKind.Map && d.TryGetField("commit_ts", out var ts) && ts.TryGetInt64(out var hlc)
            ? new HlcTimestamp(hlc)
            : null;
        return new TransactionInfo(
            TxId.TryParse(S(value, "tx_id"), out var id) ? id : TxId.Empty,
            ParseState(S(value, "state")),
            S(value, "label"),
            S(value, "deadline") is { } dl && DateTimeOffset.TryParse(dl, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var deadline) ? deadline : null,
            S(value, "reason"),
            participants,
            commitTs);
    }

    /// <summary>The wire name of a state (<c>in-doubt</c>, <c>active</c>, …).</summary>
    /// <param name="state">The state.</param>
    /// <returns>Its name.</returns>
    public static string WireName(CohortTransactionState state) => state switch
    {
        CohortTransactionState.Active => "active",
        CohortTransactionState.Preparing => "preparing",
        CohortTransactionState.Committing => "committing",
        CohortTransactionState.Committed => "committed",
        CohortTransactionState.Aborted => "aborted",
        CohortTransactionState.InDoubt => "in-doubt",
        _ => "unknown",
    };

    /// <summary>Parses a state's wire name; unknown names give <see cref="CohortTransactionState.Unknown"/>.</summary>
    /// <param name="name">The wire name.</param>
    /// <returns>The state.</returns>
    public static CohortTransactionState ParseState(string? name) => name switch
    {
        "active" => CohortTransactionState.Active,
        "preparing" => CohortTransactionState.Preparing,
        "committing" => CohortTransactionState.Committing,
        "committed" => CohortTransactionState.Committed,
        "aborted" => CohortTransactionState.Aborted,
        "in-doubt" or "in_doubt" or "indoubt" => CohortTransactionState.InDoubt,
        _ => CohortTransactionState.Unknown,
    };
}
