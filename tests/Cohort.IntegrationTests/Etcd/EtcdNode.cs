using Cohort.Etcd;
using dotnet_etcd;

namespace Cohort.IntegrationTests.Etcd;

/// <summary>What one Cohort node would hold of the etcd backend: its own client and its candidacy (the tests' unit).</summary>
internal sealed class EtcdNode : IAsyncDisposable
{
    /// <summary>The lease TTL of the tests: etcd's minimum with its default election timeout (1 s) is 2 s.</summary>
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(2);

    private int _disposed;

    private EtcdNode(EtcdClient client, EtcdLeadership leadership, string prefix)
    {
        Client = client;
        Leadership = leadership;
        Prefix = prefix;
    }

    public EtcdClient Client { get; }

    public EtcdLeadership Leadership { get; }

    public string Prefix { get; }

    public string Name => Leadership.Candidate;

    /// <summary>A fresh key prefix, so tests sharing a cluster never see each other's keys.</summary>
    public static string NewPrefix() => "/cohort-test/" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A node with its own client, campaigning under <paramref name="prefix"/> as <paramref name="name"/>.</summary>
    public static EtcdNode Start(string endpoints, string prefix, string name, Func<bool>? eligible = null)
    {
        var client = EtcdClientFactory.Create(endpoints);
        var leadership = new EtcdLeadership(client, new EtcdLeadershipOptions { KeyPrefix = prefix, Candidate = name, LeaseTtl = Ttl });
        if (eligible is not null)
        {
            leadership.Eligible = eligible;
        }

        leadership.Start();
        return new EtcdNode(client, leadership, prefix);
    }

    /// <summary>A node named <paramref name="name"/> under a fresh prefix, returned once it leads (within <paramref name="timeout"/>).</summary>
    public static async Task<EtcdNode> StartLeaderAsync(string endpoints, TimeSpan timeout, string name = "node-a")
    {
        var node = Start(endpoints, NewPrefix(), name);
        try
        {
            await EtcdAssert.LeaderAmongAsync(timeout, node);
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    /// <summary>Opens this node's decision log (holder = its candidate name).</summary>
    public Task<EtcdDecisionLog> OpenLogAsync() =>
        EtcdDecisionLog.OpenAsync(Client, new EtcdDecisionLogOptions { KeyPrefix = Prefix, Holder = Name });

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await Leadership.DisposeAsync();
        Client.Dispose();
    }
}
