using System.Collections.Immutable;
using Cohort.Cluster;
using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Transport;

/// <summary>Heartbeats and joins over HTTP (<c>POST /cluster/heartbeat</c>, <c>POST /cluster/join</c>), on a client of their own.</summary>
internal sealed class HttpClusterTransport(NodeClient client) : IClusterTransport
{
    public async Task<HeartbeatMessage> HeartbeatAsync(string address, HeartbeatMessage message, CancellationToken cancellationToken) =>
        Read(await client.PostAsync(address, "cluster/heartbeat", Write(message), cancellationToken).ConfigureAwait(false));

    public async Task<HeartbeatMessage> JoinAsync(string address, HeartbeatMessage joiner, CancellationToken cancellationToken)
    {
        var answer = await client.PostAsync(address, "cluster/join", Write(joiner), cancellationToken).ConfigureAwait(false);
        return Read(WireFields.Field(answer, "state"));
    }

    public static Value Write(HeartbeatMessage m) => Value.Map(
        ("address", m.Address),
        ("epoch", m.Epoch),
        ("master", Value.From(m.Master)),
        ("members_version", m.MembersVersion),
        ("members", Names(m.Members)),
        ("resources", Names(m.Resources)),
        ("in_flight", m.InFlight));

    /// <summary>Reads a heartbeat; a seed-style join (<c>{"address"}</c> alone) reads as a newcomer that knows nothing.</summary>
    public static HeartbeatMessage Read(Value v)
    {
        var address = WireFields.Str(v, "address");
        if (!NodeAddress.TryParse(address, out _))
        {
            throw new CohortException(ErrorCodes.BadJson, $"'{address}' is not host:port.", isTransient: false);
        }

        return new HeartbeatMessage(
            address,
            OptLong(v, "epoch"),
            WireFields.OptStr(v, "master"),
            OptLong(v, "members_version"),
            OptNames(v, "members"),
            OptNames(v, "resources"),
            v.TryGetField("in_flight", out var inFlight) && !inFlight.IsNull ? WireFields.Int(v, "in_flight") : 0);
    }

    private static Value Names(IEnumerable<string> names) => Value.List(ImmutableArray.CreateRange(names.Select(Value.From)));

    private static long OptLong(Value v, string name) =>
        v.TryGetField(name, out var field) && !field.IsNull ? WireFields.Long(v, name) : 0;

    private static IReadOnlyList<string> OptNames(Value v, string name) =>
        v.TryGetField(name, out var field) && !field.IsNull
            ? [.. WireFields.List(v, name).Select(e => e.Kind == ValueKind.String ? e.AsString() : throw new CohortException(ErrorCodes.BadJson, $"'{name}' must be a list of strings.", isTransient: false))]
            : [];
}
