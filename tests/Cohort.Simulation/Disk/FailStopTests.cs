using Cohort.Engines;
using Cohort.Simulation.Workload;
using Cohort.Storage.Wal;

namespace Cohort.Simulation.Disk;

/// <summary>A log whose fsync fails tells its owner once, so that the process can stop (fail-stop).</summary>
public sealed class FailStopTests
{
    [Fact]
    public void Engine_WhenItsLogCannotFsync_ReportsTheFailureOnceAndRefusesTheCommit()
    {
        SingleThreadExecutor.Simulate(7, async _ =>
        {
            var disk = new SimulatedDisk(new Random(7));
            var failures = new List<Exception>();
            var engine = EngineFactory.Open("kv:a", new EngineOptions
            {
                DataDirectory = "/n1/kv_a",
                FileSystem = disk,
                Durability = DurabilityMode.Fsync,
                MaintenanceInterval = Timeout.InfiniteTimeSpan,
                OnStorageFailure = failures.Add,
            });

            var first = TxId.NewId();
            await engine.ApplyAsync(new TransactionContext(first, DateTimeOffset.UtcNow.AddMinutes(1)), SimOps.Put("k", 1L), CancellationToken.None);
            await engine.CommitOnePhaseAsync(first, engine.Clock.Now(), CancellationToken.None);
            Assert.Empty(failures);

            disk.FailNextFsync(WriteAheadLog.SegmentPath("/n1/kv_a/wal", 1));
            var second = TxId.NewId();
            await engine.ApplyAsync(new TransactionContext(second, DateTimeOffset.UtcNow.AddMinutes(1)), SimOps.Put("k", 2L), CancellationToken.None);
            await Assert.ThrowsAnyAsync<Exception>(async () => await engine.CommitOnePhaseAsync(second, engine.Clock.Now(), CancellationToken.None));

            var failure = Assert.Single(failures);
            Assert.IsType<IOException>(failure);
            Assert.Contains("fsync", failure.Message, StringComparison.Ordinal);
            Assert.Equal(1, disk.FailedFsyncs);
        });
    }
}
