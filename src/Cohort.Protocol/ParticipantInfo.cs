using Cohort.Core;
using static Cohort.Protocol.WireFields;

namespace Cohort.Protocol;

/// <summary>One participant of a transaction, as the coordinator reports it.</summary>
/// <param name="Resource">The resource.</param>
/// <param name="Node">The node that hosts it.</param>
/// <param name="Writes">Whether the participant may have written.</param>
/// <param name="Vote">Its vote (<c>Yes</c>, <c>No</c>, <c>ReadOnly</c>), once it voted.</param>
/// <param name="Acknowledged">Whether it acknowledged the outcome.</param>
public sealed record ParticipantInfo(string Resource, string Node, bool Writes, string? Vote, bool Acknowledged)
{
    /// <summary>Reads the wire form.</summary>
    /// <param name="value">The JSON object.</param>
    /// <returns>The record.</returns>
    public static ParticipantInfo FromValue(Value value) => new(
        OptStr(value, "resource") ?? "?",
        OptStr(value, "node") ?? "?",
        OptBool(value, "writes"),
        OptStr(value, "vote"),
        OptBool(value, "acknowledged"));

    /// <summary>The wire form.</summary>
    /// <returns>The JSON object.</returns>
    public Value ToValue() => Value.Map(
        ("resource", Resource), ("node", Node), ("writes", Writes), ("vote", Value.From(Vote)), ("acknowledged", Acknowledged));
}
