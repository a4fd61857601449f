using dotnet_etcd;
using Grpc.Net.Client.Configuration;

namespace Cohort.Etcd;

/// <summary>Creates the <see cref="EtcdClient"/> a node shares between its leadership and its decision log.</summary>
public static class EtcdClientFactory
{
    /// <summary>How long a broken connection to one etcd member may go unnoticed: HTTP/2 pings this often, and give up after as long.</summary>
    public static readonly TimeSpan DefaultPingInterval = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A client for the comma-separated etcd <paramref name="endpoints"/> (<c>http://host:2379,…</c>), balancing
    /// round-robin over the members that answer. The channel's own retry policy is turned off: the leadership and the
    /// decision log retry themselves within their own time budgets (a hidden retry of up to several seconds would
    /// outlive a lease), and a member that stops answering is noticed by HTTP/2 pings.
    /// </summary>
    /// <param name="endpoints">The etcd client URLs, comma-separated.</param>
    /// <param name="pingInterval">HTTP/2 keep-alive ping interval and timeout; <see cref="DefaultPingInterval"/> when null.</param>
    public static EtcdClient Create(string endpoints, TimeSpan? pingInterval = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpoints);
        var ping = pingInterval ?? DefaultPingInterval;
        return new EtcdClient(
            endpoints,
            configureChannelOptions: options =>
            {
                options.ServiceConfig = new ServiceConfig { LoadBalancingConfigs = { new RoundRobinConfig() } };
                if (options.HttpHandler is SocketsHttpHandler handler)
                {
                    handler.KeepAlivePingDelay = ping;
                    handler.KeepAlivePingTimeout = ping;
                    handler.ConnectTimeout = ping;
                }
            });
    }
}
