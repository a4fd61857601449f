using System.Globalization;

namespace Cohort.Protocol;

/// <summary>Node addresses: <c>host:port</c>, the name by which members, placement and clients know a node.</summary>
public static class NodeAddress
{
    /// <summary>Whether <paramref name="address"/> is <c>host:port</c> with a port in 1..65535.</summary>
    /// <param name="address">The text.</param>
    /// <param name="endpoint">The host and port.</param>
    /// <returns>True when it parses.</returns>
    public static bool TryParse(string? address, out (string Host, int Port) endpoint)
    {
        endpoint = default;
        if (string.IsNullOrWhiteSpace(address))
        {
            return false;
        }

        var colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            return false;
        }

        endpoint = (address[..colon], port);
        return true;
    }

    /// <summary>The base URL of a node.</summary>
    /// <param name="address">Its <c>host:port</c>.</param>
    /// <param name="secure">Whether the node serves https (a cluster with <c>--tls-cert</c>).</param>
    /// <returns><c>http://host:port/</c>, or <c>https://host:port/</c> when <paramref name="secure"/>.</returns>
    public static Uri BaseUri(string address, bool secure = false) => new($"{(secure ? "https" : "http")}://{address}/");
}
