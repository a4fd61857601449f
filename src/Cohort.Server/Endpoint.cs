using System.Globalization;

namespace Cohort.Server;

/// <summary>Parses <c>host:port</c> node addresses.</summary>
public static class Endpoint
{
    /// <summary>Whether <paramref name="address"/> is <c>host:port</c> with a port in 1..65535.</summary>
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
    public static Uri BaseUri(string address) => new($"http://{address}/");
}
