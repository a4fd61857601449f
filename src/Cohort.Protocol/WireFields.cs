using System.Collections.Immutable;
using System.Globalization;
using Cohort.Core;

namespace Cohort.Protocol;

/// <summary>
/// Reads and writes the fields of wire messages (API and node-to-node): a required field that is missing or of the
/// wrong type is refused as <c>bad_json</c> naming the field; optional ones read as null or false.
/// </summary>
public static class WireFields
{
    /// <summary>A time in the round-trip ISO-8601 form (UTC).</summary>
    public static string Time(DateTimeOffset time) => time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    /// <summary>A required field.</summary>
    public static Value Field(Value v, string name) =>
        v.Kind == ValueKind.Map && v.TryGetField(name, out var field) ? field : throw Bad($"missing field '{name}'");

    /// <summary>A required string field.</summary>
    public static string Str(Value v, string name) =>
        Field(v, name) is { Kind: ValueKind.String } s ? s.AsString() : throw Bad($"field '{name}' must be a string");

    /// <summary>An optional string field (null when missing or not a string).</summary>
    public static string? OptStr(Value v, string name) =>
        v.Kind == ValueKind.Map && v.TryGetField(name, out var f) && f.Kind == ValueKind.String ? f.AsString() : null;

    /// <summary>An optional boolean field (false when missing or not a boolean).</summary>
    public static bool OptBool(Value v, string name) => OptBoolOrNull(v, name) ?? false;

    /// <summary>A boolean field, or null when it is missing or not a boolean (sent by an older node).</summary>
    public static bool? OptBoolOrNull(Value v, string name) =>
        v.Kind == ValueKind.Map && v.TryGetField(name, out var f) && f.Kind == ValueKind.Bool ? f.AsBool() : null;

    /// <summary>An optional integer field (null when missing or not an integer).</summary>
    public static long? OptLong(Value v, string name) =>
        v.Kind == ValueKind.Map && v.TryGetField(name, out var f) && f.TryGetInt64(out var n) ? n : null;

    /// <summary>A required integer field.</summary>
    public static long Long(Value v, string name) =>
        Field(v, name).TryGetInt64(out var n) ? n : throw Bad($"field '{name}' must be an integer");

    /// <summary>A count or sequence number: an integer from 0 to <see cref="int.MaxValue"/>.</summary>
    public static int Int(Value v, string name) =>
        Field(v, name).TryGetInt64(out var n) && n is >= 0 and <= int.MaxValue ? (int)n : throw Bad($"field '{name}' must be an integer from 0 to {int.MaxValue}");

    /// <summary>A required list field.</summary>
    public static ImmutableArray<Value> List(Value v, string name) =>
        Field(v, name) is { Kind: ValueKind.List } l ? l.AsList() : throw Bad($"field '{name}' must be a list");

    /// <summary>A required transaction id field.</summary>
    public static TxId Tx(Value v, string name = "tx_id") =>
        TxId.TryParse(Str(v, name), null, out var id) ? id : throw Bad($"'{Str(v, name)}' is not a transaction id");

    // Written by Time (the round-trip "O" form), which has a fast exact parser; any other ISO-8601 form is accepted too.
    /// <summary>A required time field, as <see cref="Time"/> writes it (any ISO-8601 form is accepted).</summary>
    public static DateTimeOffset Deadline(Value v, string name = "deadline")
    {
        var text = Str(v, name);
        return DateTimeOffset.TryParseExact(text, "O", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            || DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out t)
            ? t
            : throw Bad($"field '{name}' must be an ISO-8601 time");
    }

    internal static CohortException Bad(string message) => new(ErrorCodes.BadJson, message, isTransient: false);
}
