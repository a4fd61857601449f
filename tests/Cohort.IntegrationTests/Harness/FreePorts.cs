using System.Net;
using System.Net.Sockets;

namespace Cohort.IntegrationTests.Harness;

/// <summary>Free TCP ports on 127.0.0.1, found by binding port 0 and letting the OS choose.</summary>
internal static class FreePorts
{
    /// <summary>
    /// <paramref name="count"/> distinct ports, all held open until every one is chosen (so the OS cannot hand out
    /// the same one twice), then released for the node processes to bind.
    /// </summary>
    public static int[] Take(int count)
    {
        var listeners = new List<TcpListener>(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }

            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }
        }
    }
}
