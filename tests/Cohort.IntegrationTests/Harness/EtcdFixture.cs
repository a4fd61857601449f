namespace Cohort.IntegrationTests.Harness;

/// <summary>One 3-member etcd cluster shared by the tests of <see cref="EtcdCollection"/> (each test uses its own key prefix).</summary>
public sealed class EtcdFixture : IAsyncLifetime
{
    private EtcdCluster? _cluster;

    internal EtcdCluster Cluster => _cluster ?? throw new InvalidOperationException("The etcd cluster has not started.");

    public async Task InitializeAsync() => _cluster = await EtcdCluster.StartAsync(3);

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}
