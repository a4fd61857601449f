using Cohort.Cluster;
using Cohort.Coordination;
using Cohort.Server;
using Cohort.Server.Services;
using Cohort.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cohort.Tests.Server;

/// <summary>
/// The parts of a one-node cluster the node services stand on: a real registry (engines in a temp directory, with
/// <c>kv:users</c> and the default shard), a real cluster agent (never started, so it sends nothing) and a node
/// client that is never called (every resource is local).
/// </summary>
internal sealed class OneNode : IAsyncDisposable
{
    public const string Self = "127.0.0.1:7001";

    private readonly TempDirectory _dir = new();

    private OneNode()
    {
        var options = new NodeOptions { Address = Self, DataDirectory = _dir.Path, Fsync = false, Resources = ["kv:users"] };
        Host = new ParticipantHost(
            new ParticipantHostOptions { NodeId = Self, TerminationInterval = Timeout.InfiniteTimeSpan },
            new CoordinatorDecisionSource(() => null));
        Registry = new ResourceRegistry(options, Host, NullLoggerFactory.Instance);
        Cluster = new ClusterAgent(
            new ClusterOptions { Self = Self, Seeds = [Self], DataDirectory = _dir.Path, Fsync = false },
            new NoClusterTransport(),
            Registry.Names,
            Registry.InFlight);
        Registry.Changed += Cluster.ResourcesChanged;
    }

    public ParticipantHost Host { get; }

    public ResourceRegistry Registry { get; }

    public ClusterAgent Cluster { get; }

    public NodeClient Client { get; } = new(null, TimeSpan.FromSeconds(1));

    /// <summary>Builds the node and opens its resources.</summary>
    public static async Task<OneNode> StartAsync()
    {
        var node = new OneNode();
        await node.Registry.OpenAllAsync(CancellationToken.None);
        return node;
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        Client.Dispose();
        _dir.Dispose();
    }

    private sealed class NoClusterTransport : IClusterTransport
    {
        public Task<HeartbeatMessage> HeartbeatAsync(string address, HeartbeatMessage message, CancellationToken cancellationToken) =>
            throw new IOException("no network in this test");

        public Task<HeartbeatMessage> JoinAsync(string address, HeartbeatMessage joiner, CancellationToken cancellationToken) =>
            throw new IOException("no network in this test");
    }
}
