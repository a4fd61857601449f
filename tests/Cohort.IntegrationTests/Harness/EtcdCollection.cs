namespace Cohort.IntegrationTests.Harness;

/// <summary>
/// The tests against real etcd. They run in turn and apart from the other collections: lease deadlines of a couple of
/// seconds are what they measure, and two cores shared with node clusters would stretch them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EtcdCollection : ICollectionFixture<EtcdFixture>
{
    public const string Name = "etcd";
}
