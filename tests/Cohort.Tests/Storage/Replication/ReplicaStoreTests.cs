using Cohort.Storage.Replication;

namespace Cohort.Tests.Storage.Replication;

/// <summary>A replica's store on its own: streams, retries, late resets, probes, terms and the mark of a whole copy.</summary>
public sealed class ReplicaStoreTests : IDisposable
{
    private readonly TempDirectory _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task RetriedShipment_AndALateResetOfTheSameStream_AreSkipped_NotRefused()
    {
        await using var store = ReplicaStore.Open(_root.Path);
        Assert.Equal(2, await store.ApplyAsync("p/1", 1, [Reset(0), Record(1), Record(2)]));
        Assert.Equal(2, await store.ApplyAsync("p/1", 1, [Record(1), Record(2)]));
        Assert.Equal(3, await store.ApplyAsync("p/1", 1, [Record(2), Record(3)]));

        // An older link's reset (sequence 1) arriving after a newer one's stream moved on changes nothing.
        Assert.Equal(3, await store.ApplyAsync("p/1", 1, [Reset(1)]));
        Assert.Equal(4, await store.ApplyAsync("p/1", 1, [Record(4)]));
    }

    [Fact]
    public async Task EntriesOfAnotherStream_OrPastAGap_AreRefusedAsAGap()
    {
        await using var store = ReplicaStore.Open(_root.Path);
        await store.ApplyAsync("p/1", 1, [Reset(5), Record(6)]);

        var gap = await Assert.ThrowsAsync<ReplicaRefusedException>(() => store.ApplyAsync("p/1", 1, [Record(8)]));
        Assert.Equal(ReplicaRefusal.Gap, gap.Reason);
        var other = await Assert.ThrowsAsync<ReplicaRefusedException>(() => store.ApplyAsync("p/2", 1, [Record(7)]));
        Assert.Equal(ReplicaRefusal.Gap, other.Reason);

        // Another stream starts with a reset, whatever its numbering.
        Assert.Equal(0, await store.ApplyAsync("p/2", 1, [Reset(0)]));
    }

    [Fact]
    public async Task EmptyProbe_PassesForTheStreamFollowed_AndAfterARestartIsAGap()
    {
        var store = ReplicaStore.Open(_root.Path);
        await store.ApplyAsync("p/1", 1, [Reset(0), Record(1)]);
        Assert.Equal(1, await store.ApplyAsync("p/1", 1, []));
        await store.DisposeAsync();

        await using var restarted = ReplicaStore.Open(_root.Path);
        var gap = await Assert.ThrowsAsync<ReplicaRefusedException>(() => restarted.ApplyAsync("p/1", 1, []));
        Assert.Equal(ReplicaRefusal.Gap, gap.Reason);
    }

    [Fact]
    public async Task LearningATerm_DoesNotMarkACopy_OnlyAnInstalledResetDoes_AndTheTermOutlivesARestart()
    {
        var store = ReplicaStore.Open(_root.Path);
        await store.ObserveVersionAsync(3);
        Assert.False(ReplicaStore.IsMember(_root.Path));

        var stale = await Assert.ThrowsAsync<ReplicaRefusedException>(() => store.ApplyAsync("p/1", 2, [Reset(0)]));
        Assert.Equal(ReplicaRefusal.Stale, stale.Reason);
        Assert.False(ReplicaStore.IsMember(_root.Path));

        await store.ApplyAsync("p/2", 3, [Reset(0)]);
        Assert.True(ReplicaStore.IsMember(_root.Path));
        await store.DisposeAsync();

        await using var restarted = ReplicaStore.Open(_root.Path);
        Assert.Equal(3, restarted.KnownVersion);
    }

    private static ReplicationEntry Reset(long sequence) => new(sequence, ReplicationEntryKind.Reset, 0, new byte[] { 2, 0, 0, 0, 0, 0, 0, 0, 0 });

    private static ReplicationEntry Record(long sequence) => new(sequence, ReplicationEntryKind.Record, 9, new byte[] { (byte)sequence });
}
