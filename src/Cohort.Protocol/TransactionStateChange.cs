using System.Globalization;
using Cohort.Core;
using static Cohort.Protocol.WireFields;

namespace Cohort.Protocol;

/// <summary>
/// One step of a transaction's timeline: the state its coordinator moved it to and when, by the coordinator's clock
/// (<c>"timeline":[{"state":"preparing","at":"…"}]</c> in <c>GET /v1/tx/{id}</c>).
/// </summary>
/// <param name="State">The state it entered (the first entry is <c>active</c> when it began, <c>committing</c> when recovered from the decision log).</param>
/// <param name="At">When, as the coordinator's clock read it.</param>
public readonly record struct TransactionStateChange(TransactionState State, DateTimeOffset At)
{
    /// <summary>Reads the wire form; null when it is not one.</summary>
    /// <param name="value">The JSON object.</param>
    /// <returns>The step, or null.</returns>
    public static TransactionStateChange? FromValue(Value value) =>
        TransactionStateNames.TryParse(OptStr(value, "state"), out var state)
        && OptStr(value, "at") is { } text
        && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? new TransactionStateChange(state, at)
            : null;

    /// <summary>The wire form.</summary>
    /// <returns>The JSON object.</returns>
    public Value ToValue() => Value.Map(("state", State.ToWireName()), ("at", Time(At)));
}
