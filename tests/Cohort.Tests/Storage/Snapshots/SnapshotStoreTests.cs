using Cohort.Storage.Snapshots;

namespace Cohort.Tests.Storage.Snapshots;

public sealed class SnapshotStoreTests : IDisposable
{
    private const int HeaderBytes = 24;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task WriteAsyncThenLoadNewest_ReturnsSegmentAndPayload()
    {
        var store = new SnapshotStore(_directory.Path);
        var payload = Payload(1, 10_000);

        await store.WriteAsync(5, payload, CancellationToken.None);
        var loaded = new SnapshotStore(_directory.Path).LoadNewest();

        Assert.NotNull(loaded);
        Assert.Equal(5, loaded.Value.WalSegment);
        Assert.Equal(payload, loaded.Value.Payload);
        Assert.Equal([SnapshotFile(5)], Directory.GetFiles(_directory.Path));
    }

    [Fact]
    public async Task WriteAsyncThenLoadNewest_EmptyPayload_RoundTrips()
    {
        var store = new SnapshotStore(_directory.Path);

        await store.WriteAsync(1, ReadOnlyMemory<byte>.Empty, CancellationToken.None);
        var loaded = store.LoadNewest();

        Assert.NotNull(loaded);
        Assert.Empty(loaded.Value.Payload);
    }

    [Fact]
    public void LoadNewest_WithNoSnapshot_ReturnsNull()
    {
        Assert.Null(new SnapshotStore(_directory.Path).LoadNewest());
    }

    [Fact]
    public async Task WriteAsync_NewerSnapshot_WinsAndOlderFilesAreDeleted()
    {
        var store = new SnapshotStore(_directory.Path);
        await store.WriteAsync(3, Payload(3, 100), CancellationToken.None);
        await store.WriteAsync(7, Payload(7, 200), CancellationToken.None);
        await store.WriteAsync(12, Payload(12, 300), CancellationToken.None);

        var loaded = store.LoadNewest();

        Assert.NotNull(loaded);
        Assert.Equal(12, loaded.Value.WalSegment);
        Assert.Equal(Payload(12, 300), loaded.Value.Payload);
        Assert.Equal([SnapshotFile(12)], Directory.GetFiles(_directory.Path));
    }

    [Fact]
    public async Task WriteAsync_SameSegmentAgain_ReplacesIt()
    {
        var store = new SnapshotStore(_directory.Path);
        await store.WriteAsync(4, Payload(1, 50), CancellationToken.None);
        await store.WriteAsync(4, Payload(2, 60), CancellationToken.None);

        var loaded = store.LoadNewest();

        Assert.Equal(Payload(2, 60), loaded!.Value.Payload);
        Assert.Single(Directory.GetFiles(_directory.Path));
    }

    [Fact]
    public async Task LoadNewest_WithLeftoverTempFile_IgnoresAndDeletesIt()
    {
        var store = new SnapshotStore(_directory.Path);
        await store.WriteAsync(3, Payload(3, 100), CancellationToken.None);

        // A newer snapshot whose write was interrupted before the rename.
        var temp = SnapshotFile(9) + ".tmp";
        await File.WriteAllBytesAsync(temp, Payload(9, 17), CancellationToken.None);

        var loaded = store.LoadNewest();

        Assert.NotNull(loaded);
        Assert.Equal(3, loaded.Value.WalSegment);
        Assert.Equal(Payload(3, 100), loaded.Value.Payload);
        Assert.False(File.Exists(temp));
    }

    [Theory]
    [InlineData(0)] // magic
    [InlineData(8)] // wal segment
    [InlineData(16)] // length
    [InlineData(HeaderBytes)] // first payload byte
    [InlineData(HeaderBytes + 500)] // payload
    [InlineData(HeaderBytes + 1000 + 2)] // checksum
    public async Task LoadNewest_WithFlippedByte_ThrowsCorruptionNamingFile(int position)
    {
        var store = new SnapshotStore(_directory.Path);
        await store.WriteAsync(6, Payload(6, 1000), CancellationToken.None);
        var file = SnapshotFile(6);
        var bytes = await File.ReadAllBytesAsync(file, CancellationToken.None);
        bytes[position] ^= 0x04;
        await File.WriteAllBytesAsync(file, bytes, CancellationToken.None);

        var e = Assert.Throws<CohortException>(() => store.LoadNewest());

        Assert.Equal(ErrorCodes.Corruption, e.Code);
        Assert.Contains(file, e.Message, StringComparison.Ordinal);
        Assert.False(e.IsTransient);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(HeaderBytes + 3)]
    public async Task LoadNewest_WithTruncatedFile_ThrowsCorruptionNamingFile(int keepBytes)
    {
        var store = new SnapshotStore(_directory.Path);
        await store.WriteAsync(2, Payload(2, 100), CancellationToken.None);
        var file = SnapshotFile(2);
        using (var stream = new FileStream(file, FileMode.Open))
        {
            stream.SetLength(keepBytes);
        }

        var e = Assert.Throws<CohortException>(() => store.LoadNewest());

        Assert.Equal(ErrorCodes.Corruption, e.Code);
        Assert.Contains(file, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteAsync_WhenCancelled_LeavesPreviousSnapshotLoadable()
    {
        var store = new SnapshotStore(_directory.Path);
        await store.WriteAsync(1, Payload(1, 100), CancellationToken.None);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.WriteAsync(2, Payload(2, 100), cancelled.Token));
        var loaded = store.LoadNewest();

        Assert.Equal(1, loaded!.Value.WalSegment);
        Assert.Equal(Payload(1, 100), loaded.Value.Payload);
        Assert.Equal([SnapshotFile(1)], Directory.GetFiles(_directory.Path));
    }

    private string SnapshotFile(long segment) => Path.Combine(_directory.Path, $"snapshot-{segment:D12}.snap");

    private static byte[] Payload(int seed, int length)
    {
        var payload = new byte[length];
        new Random(seed).NextBytes(payload);
        return payload;
    }
}
