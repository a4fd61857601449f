namespace Cohort.Protocol;

/// <summary>
/// Where this node dials other nodes when that is not their advertised address: <c>name=host:port</c> entries, for a
/// peer reached through NAT, a port forward, an SSH tunnel or a test's proxy. A node's name (its advertised
/// <c>host:port</c>) stays its identity in membership, placement and decisions; only the connection goes elsewhere.
/// Nodes without an entry are dialled at their name.
/// </summary>
public sealed class PeerRoutes
{
    private readonly Dictionary<string, string> _routes;

    private PeerRoutes(Dictionary<string, string> routes) => _routes = routes;

    /// <summary>No routes: every node is dialled at its name.</summary>
    public static PeerRoutes None { get; } = new(new Dictionary<string, string>(StringComparer.Ordinal));

    /// <summary>The routes, node name to the address dialled instead.</summary>
    public IReadOnlyDictionary<string, string> Routes => _routes;

    /// <summary>
    /// Parses comma-separated <c>name=host:port</c> entries (both sides node addresses; a name at most once). Empty or
    /// whitespace text is <see cref="None"/>.
    /// </summary>
    /// <exception cref="FormatException">An entry that is not <c>host:port=host:port</c>, or a name given twice; the message names it.</exception>
    public static PeerRoutes Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return None;
        }

        var routes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = entry.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? entry : entry[..equals].Trim();
            var via = equals < 0 ? string.Empty : entry[(equals + 1)..].Trim();
            if (!NodeAddress.TryParse(name, out _) || !NodeAddress.TryParse(via, out _))
            {
                throw new FormatException($"peer route '{entry}' is not name=host:port (the node's advertised host:port, then where to dial it)");
            }

            if (!routes.TryAdd(name, via))
            {
                throw new FormatException($"peer route for {name} is given twice");
            }
        }

        return new PeerRoutes(routes);
    }

    /// <summary>The address to connect to for node <paramref name="node"/>: its route, else its name.</summary>
    public string Dial(string node) => _routes.TryGetValue(node, out var via) ? via : node;

    /// <summary>The base URL to reach node <paramref name="node"/> at: <c>http://</c> (or <c>https://</c> when <paramref name="secure"/>) its <see cref="Dial"/> address.</summary>
    public Uri BaseUri(string node, bool secure = false) => NodeAddress.BaseUri(Dial(node), secure);

    /// <inheritdoc/>
    public override string ToString() => string.Join(",", _routes.Select(r => $"{r.Key}={r.Value}"));
}
