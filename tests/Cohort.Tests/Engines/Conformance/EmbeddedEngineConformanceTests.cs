using Cohort.Engines;
using Cohort.Engines.TestKit;

namespace Cohort.Tests.Engines.Conformance;

/// <summary>
/// The engine TestKit's conformance suite over an embedded engine (<see cref="EngineFactory"/>) in a temporary data
/// directory. Embedded engines have every capability: wound-wait, read locks kept until commit, timestamped snapshots
/// and the coordinator's name in the prepare record. The crash cases kill Cohort.CrashHost over the same directory.
/// </summary>
public abstract class EmbeddedEngineConformanceTests : EngineConformanceTests
{
    private readonly TempDirectory _directory = new();

    protected override EngineCapabilities Capabilities => EngineCapabilities.All;

    protected override string CrashHostStore => _directory.Path;

    protected override Task<ITransactionalEngine> OpenEngineCoreAsync() =>
        Task.FromResult<ITransactionalEngine>(EngineFactory.Open(Resource, new EngineOptions { DataDirectory = _directory.Path }));

    protected override int ActiveTransactionCount(ITransactionalEngine engine) => ((IEmbeddedEngine)engine).ActiveTransactionCount;

    protected override Task CheckpointAsync(ITransactionalEngine engine) => ((IEmbeddedEngine)engine).SnapshotAsync(CancellationToken.None);

    protected override Task DeleteStoreAsync()
    {
        _directory.Dispose();
        return Task.CompletedTask;
    }
}
