using System.Collections.Immutable;
using Cohort.Core;
using Cohort.Protocol;
using Cohort.Storage.Replication;

namespace Cohort.Server.Replication;

/// <summary>
/// The JSON of <c>POST /internal/replicate</c>: <c>{"resource","version","stream","entries":[{"seq","kind","type","payload"}]}</c>
/// (payloads as <c>{"$bytes": base64}</c>), answered by <c>{"durable_through"}</c>.
/// </summary>
internal static class ReplicationWire
{
    /// <summary>The shipment's body.</summary>
    public static Value Shipment(string resource, long version, string stream, IReadOnlyList<ReplicationEntry> entries) => Value.Map(
        ("resource", resource),
        ("version", version),
        ("stream", stream),
        ("entries", Value.List(entries.Select(e => Value.Map(
            ("seq", e.Sequence),
            ("kind", (long)e.Kind),
            ("type", (long)e.RecordType),
            ("payload", Value.FromOwnedBytes(e.Payload.ToArray())))).ToImmutableArray())));

    /// <summary>Reads a shipment; malformed input throws <c>bad_json</c>.</summary>
    public static (string Resource, long Version, string Stream, IReadOnlyList<ReplicationEntry> Entries) ReadShipment(Value body)
    {
        var entries = WireFields.List(body, "entries").Select(e =>
        {
            var kind = WireFields.Long(e, "kind");
            var type = WireFields.Long(e, "type");
            if (kind is < (long)ReplicationEntryKind.Record or > (long)ReplicationEntryKind.Reset || type is < 0 or > byte.MaxValue)
            {
                throw new CohortException(ErrorCodes.BadJson, $"A replication entry has kind {kind} and type {type}; expected kind 1-3 and a byte type.", isTransient: false);
            }

            var payload = WireFields.Field(e, "payload");
            return new ReplicationEntry(WireFields.Long(e, "seq"), (ReplicationEntryKind)kind, (byte)type, payload.Kind == ValueKind.Bytes ? payload.AsBytes() : throw new CohortException(ErrorCodes.BadJson, "A replication entry's payload must be bytes.", isTransient: false));
        }).ToList();
        return (WireFields.Str(body, "resource"), WireFields.Long(body, "version"), WireFields.Str(body, "stream"), entries);
    }

    /// <summary>The answer: the sequence the replica holds durably.</summary>
    public static Value Acknowledged(long durableThrough) => Value.Map(("durable_through", durableThrough));
}
