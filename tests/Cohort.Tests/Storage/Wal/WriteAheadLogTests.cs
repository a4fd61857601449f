using System.Buffers.Binary;
using Cohort.Storage.Wal;

namespace Cohort.Tests.Storage.Wal;

public sealed class WriteAheadLogTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Append_ThenReopen_ReplaysSameRecordsInOrder()
    {
        var expected = new List<(byte Type, byte[] Payload)>();
        var log = Open(Options(), out _);
        await using (log)
        {
            var appends = new List<Task>();
            for (var i = 0; i < 200; i++)
            {
                var payload = Payload(i, length: i * 37 % 300);
                var type = (byte)(i % 251);
                expected.Add((type, payload));
                appends.Add(log.Append(type, payload));
            }

            await Task.WhenAll(appends).WaitAsync(Deadline);
            Assert.Equal(200, log.RecordCount);
            Assert.InRange(log.FlushCount, 1, 200);
        }

        var records = await ReadAll(Options());

        Assert.Equal(expected.Count, records.Count);
        long offset = 0;
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Type, records[i].Type);
            Assert.Equal(expected[i].Payload, records[i].Payload);
            Assert.Equal(1, records[i].Segment);
            Assert.Equal(offset, records[i].Offset);
            offset += WriteAheadLog.HeaderBytes + expected[i].Payload.Length;
        }

        Assert.Equal(offset, new FileInfo(SegmentFile(1)).Length);
    }

    [Fact]
    public async Task Append_WithConcurrentWriters_SharesOneFsyncPerBatch()
    {
        const int Writers = 64;
        const int PerWriter = 40;
        var log = Open(Options(), out _);
        await using (log)
        {
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
            {
                await start.Task;
                for (var i = 0; i < PerWriter; i++)
                {
                    var payload = new byte[8 + (w * 13 % 50)];
                    BinaryPrimitives.WriteInt32LittleEndian(payload, w);
                    BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(4), i);
                    await log.Append(1, payload);
                }
            })).ToList();
            start.SetResult();

            await Task.WhenAll(writers).WaitAsync(Deadline);

            Assert.Equal(Writers * PerWriter, log.RecordCount);
            Assert.True(log.FlushCount < log.RecordCount, $"{log.FlushCount} flushes for {log.RecordCount} records: no group commit");
            Assert.True(log.FlushCount >= 1);
        }

        var records = await ReadAll(Options());
        Assert.Equal(Writers * PerWriter, records.Count);
        var next = new int[Writers];
        foreach (var record in records)
        {
            var writer = BinaryPrimitives.ReadInt32LittleEndian(record.Payload);
            var sequence = BinaryPrimitives.ReadInt32LittleEndian(record.Payload.AsSpan(4));
            Assert.Equal(next[writer]++, sequence); // each writer's records in its own order
        }
    }

    [Fact]
    public async Task FlushAsync_AfterUnawaitedAppends_CompletesOnlyWhenTheyAreDurable()
    {
        var log = Open(Options(), out _);
        await using (log)
        {
            var appends = Enumerable.Range(0, 50).Select(i => log.Append(2, Payload(i, 100))).ToList();

            await log.FlushAsync().WaitAsync(Deadline);

            Assert.All(appends, a => Assert.True(a.IsCompletedSuccessfully));
            await log.FlushAsync().WaitAsync(Deadline); // nothing pending: completes too
        }

        var records = await ReadAll(Options());
        Assert.Equal(50, records.Count);
    }

    [Fact]
    public async Task Rotate_ReturnsNewSegment_AndLaterRecordsLandInIt()
    {
        long first;
        long rotated;
        var log = Open(Options(), out _);
        await using (log)
        {
            first = log.CurrentSegment;
            var before = Enumerable.Range(0, 3).Select(i => log.Append(1, Payload(i, 20))).ToList();

            rotated = log.Rotate();
            var after = Enumerable.Range(3, 2).Select(i => log.Append(2, Payload(i, 20))).ToList();

            Assert.True(rotated > first);
            Assert.Equal(rotated, log.CurrentSegment);
            await Task.WhenAll(before.Concat(after)).WaitAsync(Deadline);
        }

        var records = await ReadAll(Options());

        Assert.Equal(5, records.Count);
        Assert.All(records.Take(3), r => Assert.Equal(first, r.Segment));
        Assert.All(records.Skip(3), r => Assert.Equal(rotated, r.Segment));
        Assert.Equal(0, records[3].Offset);
        Assert.True(File.Exists(SegmentFile(rotated)));
        Assert.Equal(Payload(3, 20), records[3].Payload);
    }

    [Fact]
    public async Task Rotate_WithNothingAppended_CreatesEmptySegmentThatReopenContinues()
    {
        var log = Open(Options(), out _);
        long rotated;
        await using (log)
        {
            await log.Append(1, Payload(0, 10)).WaitAsync(Deadline);
            rotated = log.Rotate();
            await log.FlushAsync().WaitAsync(Deadline);
        }

        var reopened = Open(Options(), out var records);
        await using (reopened)
        {
            Assert.Single(records);
            Assert.Equal(rotated, reopened.CurrentSegment);
            await reopened.Append(2, Payload(1, 10)).WaitAsync(Deadline);
        }

        records = await ReadAll(Options());
        Assert.Equal([1L, rotated], records.Select(r => r.Segment));
    }

    [Fact]
    public async Task DeleteSegmentsBefore_ThenOpenFromSegment_ReplaysOnlyLaterRecords()
    {
        long keepFrom;
        var log = Open(Options(), out _);
        await using (log)
        {
            var appends = new List<Task> { log.Append(1, Payload(1, 10)) };
            log.Rotate();
            appends.Add(log.Append(2, Payload(2, 10)));
            keepFrom = log.Rotate();
            appends.Add(log.Append(3, Payload(3, 10)));
            appends.Add(log.Append(4, Payload(4, 10)));
            await Task.WhenAll(appends).WaitAsync(Deadline);

            Assert.Equal(2, log.DeleteSegmentsBefore(keepFrom));
            Assert.Equal([SegmentFile(keepFrom)], Directory.GetFiles(_directory.Path, "wal-*.log"));
        }

        var records = await ReadAll(Options(), fromSegment: keepFrom);

        Assert.Equal([(byte)3, (byte)4], records.Select(r => r.Type));
        Assert.All(records, r => Assert.Equal(keepFrom, r.Segment));
    }

    [Fact]
    public async Task Open_FromSegment_DeletesOlderSegmentsItself()
    {
        long second;
        var log = Open(Options(), out _);
        await using (log)
        {
            await log.Append(1, Payload(1, 10)).WaitAsync(Deadline);
            second = log.Rotate();
            await log.Append(2, Payload(2, 10)).WaitAsync(Deadline);
        }

        var records = await ReadAll(Options(), fromSegment: second);

        Assert.Equal([(byte)2], records.Select(r => r.Type));
        Assert.False(File.Exists(SegmentFile(1)));
    }

    [Fact]
    public async Task DeleteSegmentsBefore_NeverDeletesTheCurrentSegment()
    {
        var log = Open(Options(), out _);
        await using (log)
        {
            await log.Append(1, Payload(1, 10)).WaitAsync(Deadline);

            Assert.Equal(0, log.DeleteSegmentsBefore(long.MaxValue));
            await log.Append(2, Payload(2, 10)).WaitAsync(Deadline);
        }

        var records = await ReadAll(Options());
        Assert.Equal([(byte)1, (byte)2], records.Select(r => r.Type));
    }

    [Fact]
    public async Task Append_BeyondSegmentBytes_RotatesSegmentsAutomatically()
    {
        const int SegmentBytes = 4096;
        const int PayloadBytes = 300;
        const int Count = 60;
        var log = Open(Options(SegmentBytes), out _);
        await using (log)
        {
            for (var i = 0; i < Count; i++)
            {
                await log.Append((byte)i, Payload(i, PayloadBytes)).WaitAsync(Deadline);
            }
        }

        var files = Directory.GetFiles(_directory.Path, "wal-*.log");
        var records = await ReadAll(Options(SegmentBytes));

        Assert.Equal(Count, records.Count);
        Assert.True(files.Length >= Count * (PayloadBytes + WriteAheadLog.HeaderBytes) / (SegmentBytes + PayloadBytes + WriteAheadLog.HeaderBytes), $"only {files.Length} segment files");
        for (var i = 0; i < Count; i++)
        {
            Assert.Equal((byte)i, records[i].Type);
            Assert.Equal(Payload(i, PayloadBytes), records[i].Payload);
            if (i > 0)
            {
                Assert.InRange(records[i].Segment, records[i - 1].Segment, records[i - 1].Segment + 1);
            }
        }

        // Each append was its own batch, so a segment closes with the first batch that reaches the threshold.
        Assert.All(files, f => Assert.InRange(new FileInfo(f).Length, 1, SegmentBytes + PayloadBytes + WriteAheadLog.HeaderBytes - 1));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(9 + 49)]
    public async Task Open_WithTornLastRecord_TruncatesItAndAcceptsNewAppends(int bytesLeftOfLastRecord)
    {
        var offsets = await WriteRecords(Options(), count: 10, length: 50);
        var file = SegmentFile(1);
        var lastOffset = offsets[^1];
        using (var stream = new FileStream(file, FileMode.Open))
        {
            stream.SetLength(lastOffset + bytesLeftOfLastRecord);
        }

        var warnings = new List<string>();
        var log = Open(Options(), out var records, warnings: warnings);
        await using (log)
        {
            Assert.Equal(9, records.Count);
            Assert.Equal(Enumerable.Range(0, 9).Select(i => (byte)i), records.Select(r => r.Type));
            var warning = Assert.Single(warnings);
            Assert.Contains(file, warning, StringComparison.Ordinal);
            Assert.Equal(lastOffset, new FileInfo(file).Length);

            await log.Append(77, Payload(77, 30)).WaitAsync(Deadline);
        }

        warnings.Clear();
        records = await ReadAll(Options(), warnings: warnings);

        Assert.Empty(warnings);
        Assert.Equal(10, records.Count);
        Assert.Equal(77, records[^1].Type);
        Assert.Equal(lastOffset, records[^1].Offset);
        Assert.Equal(Payload(77, 30), records[^1].Payload);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task Open_WithRandomGarbageAfterLastRecord_TruncatesIt(int seed)
    {
        var offsets = await WriteRecords(Options(), count: 10, length: 40);
        var file = SegmentFile(1);
        var validLength = new FileInfo(file).Length;
        var random = new Random(seed);
        var garbage = new byte[random.Next(1, 300)];
        random.NextBytes(garbage);
        using (var stream = new FileStream(file, FileMode.Append))
        {
            stream.Write(garbage);
        }

        var warnings = new List<string>();
        var log = Open(Options(), out var records, warnings: warnings);
        await using (log)
        {
            Assert.Equal(10, records.Count);
            Assert.Single(warnings);
            Assert.Equal(validLength, new FileInfo(file).Length);
            await log.Append(99, Payload(99, 5)).WaitAsync(Deadline);
        }

        records = await ReadAll(Options());
        Assert.Equal(11, records.Count);
        Assert.Equal(validLength, records[^1].Offset);
        Assert.Equal(offsets, records.Take(10).Select(r => r.Offset));
    }

    [Fact]
    public async Task Open_WithZeroFilledTail_TruncatesIt()
    {
        await WriteRecords(Options(), count: 3, length: 10);
        var file = SegmentFile(1);
        var validLength = new FileInfo(file).Length;
        using (var stream = new FileStream(file, FileMode.Append))
        {
            stream.Write(new byte[4096]); // what a crash can leave after a file was extended but not written
        }

        var records = await ReadAll(Options());

        Assert.Equal(3, records.Count);
        Assert.Equal(validLength, new FileInfo(file).Length);
    }

    [Theory]
    [InlineData(0, 0x01)] // length, low byte
    [InlineData(3, 0x80)] // length, high byte: runs past the end of the file
    [InlineData(4, 0x10)] // checksum
    [InlineData(8, 0x01)] // type
    [InlineData(9, 0x01)] // first payload byte
    [InlineData(20, 0xFF)] // a payload byte in the middle
    public async Task Open_WithDamagedMiddleRecord_ThrowsNamingFileAndOffset(int byteInRecord, byte flip)
    {
        var offsets = await WriteRecords(Options(), count: 10, length: 30);
        var file = SegmentFile(1);
        var bad = offsets[4];
        var before = await File.ReadAllBytesAsync(file);
        FlipByte(file, bad + byteInRecord, flip);

        var e = Assert.Throws<WalCorruptionException>(() => Open(Options(), out _));

        Assert.Equal(Path.GetFileName(file), Path.GetFileName(e.File));
        Assert.EndsWith("wal-000000000001.log", e.File, StringComparison.Ordinal);
        Assert.Equal(bad, e.Offset);
        Assert.Equal(ErrorCodes.Corruption, e.Code);
        Assert.False(e.IsTransient);
        Assert.Contains(e.File, e.Message, StringComparison.Ordinal);
        Assert.Contains($"offset {bad}", e.Message, StringComparison.Ordinal);

        // The damaged file is left alone for an operator to inspect.
        var after = await File.ReadAllBytesAsync(file);
        Assert.Equal(before.Length, after.Length);
    }

    [Fact]
    public async Task Open_WithDamagedTailOfNonLastSegment_Throws()
    {
        var options = Options();
        var firstOffsets = new List<long>();
        var log = Open(options, out _);
        await using (log)
        {
            long offset = 0;
            for (var i = 0; i < 5; i++)
            {
                firstOffsets.Add(offset);
                offset += WriteAheadLog.HeaderBytes + 25;
                await log.Append((byte)i, Payload(i, 25)).WaitAsync(Deadline);
            }

            log.Rotate();
            for (var i = 5; i < 10; i++)
            {
                await log.Append((byte)i, Payload(i, 25)).WaitAsync(Deadline);
            }
        }

        var file = SegmentFile(1);
        FlipByte(file, firstOffsets[^1] + WriteAheadLog.HeaderBytes + 3, 0x40);

        var e = Assert.Throws<WalCorruptionException>(() => Open(options, out _));

        Assert.EndsWith("wal-000000000001.log", e.File, StringComparison.Ordinal);
        Assert.Equal(firstOffsets[^1], e.Offset);
    }

    [Fact]
    public async Task Open_WithTruncatedNonLastSegment_Throws()
    {
        var options = Options();
        var log = Open(options, out _);
        await using (log)
        {
            for (var i = 0; i < 5; i++)
            {
                await log.Append((byte)i, Payload(i, 25)).WaitAsync(Deadline);
            }

            log.Rotate();
            await log.Append(5, Payload(5, 25)).WaitAsync(Deadline);
        }

        var file = SegmentFile(1);
        using (var stream = new FileStream(file, FileMode.Open))
        {
            stream.SetLength(stream.Length - 3);
        }

        var e = Assert.Throws<WalCorruptionException>(() => Open(options, out _));

        Assert.EndsWith("wal-000000000001.log", e.File, StringComparison.Ordinal);
        Assert.Equal(4 * (WriteAheadLog.HeaderBytes + 25), e.Offset);
    }

    [Fact]
    public async Task Append_WithDurabilityNone_IsReplayedAfterReopen()
    {
        var options = Options(durability: DurabilityMode.None);
        var log = Open(options, out _);
        await using (log)
        {
            var appends = Enumerable.Range(0, 100).Select(i => log.Append((byte)i, Payload(i, i))).ToList();
            await Task.WhenAll(appends).WaitAsync(Deadline);
            Assert.InRange(log.FlushCount, 1, 100);
        }

        var records = await ReadAll(options);

        Assert.Equal(100, records.Count);
        Assert.Equal(Payload(99, 99), records[^1].Payload);
    }

    [Fact]
    public async Task Append_AfterDispose_ThrowsDisposed()
    {
        var log = Open(Options(), out _);
        await log.Append(1, Payload(1, 1)).WaitAsync(Deadline);
        await log.DisposeAsync();
        await log.DisposeAsync(); // idempotent

        var e = Assert.Throws<CohortException>(() => { _ = log.Append(1, Payload(2, 1)); });

        Assert.Equal(ErrorCodes.Disposed, e.Code);
    }

    [Fact]
    public async Task Append_EmptyPayload_IsReplayedAsEmpty()
    {
        var log = Open(Options(), out _);
        await using (log)
        {
            await log.Append(5, []).WaitAsync(Deadline);
            await log.Append(6, [1]).WaitAsync(Deadline);
        }

        var records = await ReadAll(Options());

        Assert.Equal(2, records.Count);
        Assert.Empty(records[0].Payload);
        Assert.Equal(5, records[0].Type);
        Assert.Equal(WriteAheadLog.HeaderBytes, records[1].Offset);
    }

    [Fact]
    public async Task Append_WhenTheFsyncFails_FailsEveryRecordOfTheBatch_AndTheLogRefusesMore()
    {
        var disk = new ControlledFsyncFileSystem();
        var log = Open(new WalOptions { Directory = _directory.Path, FileSystem = disk }, out _);
        await using (log)
        {
            await log.Append(1, Payload(1, 10)).WaitAsync(Deadline);
            disk.Fail = true;
            var first = log.Append(1, Payload(2, 10));
            var second = log.Append(1, Payload(3, 10));
            await Assert.ThrowsAsync<IOException>(() => first.WaitAsync(Deadline));
            await Assert.ThrowsAsync<IOException>(() => second.WaitAsync(Deadline));
            Assert.Throws<Cohort.Core.CohortException>(() => { _ = log.Append(1, Payload(4, 10)); });
        }
    }

    [Fact]
    public async Task AppendDeferred_AsksForNoFlush_AndTheNextAppendsFlushCarriesIt()
    {
        var disk = new ControlledFsyncFileSystem();
        var log = OpenDeferring(disk, TimeSpan.FromHours(1));
        await using (log)
        {
            var before = disk.Fsyncs;
            var deferred = log.AppendDeferred(1, Payload(1, 10));

            // Nothing asked for a flush (and its deadline is an hour away), so nothing can have written it.
            Assert.False(deferred.IsCompleted);
            Assert.Equal(before, disk.Fsyncs);

            await log.Append(2, Payload(2, 10)).WaitAsync(Deadline);
            Assert.True(deferred.IsCompletedSuccessfully);
            Assert.Equal(before + 1, disk.Fsyncs);
        }

        var records = await ReadAll(Options());
        Assert.Equal([1, 2], records.Select(r => (int)r.Type));
    }

    [Fact]
    public async Task AppendDeferred_Alone_IsFlushedByItsDeadline_OrByFlushAsync()
    {
        var disk = new ControlledFsyncFileSystem();
        var log = OpenDeferring(disk, TimeSpan.FromMilliseconds(20));
        await using (log)
        {
            var before = disk.Fsyncs;
            await log.AppendDeferred(1, Payload(1, 10)).WaitAsync(Deadline);
            Assert.Equal(before + 1, disk.Fsyncs);
        }

        var slow = OpenDeferring(disk, TimeSpan.FromHours(1));
        await using (slow)
        {
            var before = disk.Fsyncs;
            var deferred = slow.AppendDeferred(2, Payload(2, 10));
            await slow.FlushAsync().WaitAsync(Deadline);
            Assert.True(deferred.IsCompletedSuccessfully);
            Assert.Equal(before + 1, disk.Fsyncs);
        }
    }

    [Fact]
    public async Task AppendDeferred_AfterARotationCarriedAnEarlierOne_StillHasADeadline()
    {
        var log = Open(new WalOptions { Directory = _directory.Path, DeferredFlushDelay = TimeSpan.FromMilliseconds(20) }, out _);
        await using (log)
        {
            // The rotation seals the batch holding the first deferred record and writes it...
            var first = log.AppendDeferred(1, Payload(1, 10));
            log.Rotate();
            await first.WaitAsync(Deadline);

            // ...and the next deferred record, alone, is still flushed by its own deadline.
            await log.AppendDeferred(2, Payload(2, 10)).WaitAsync(Deadline);
        }
    }

    [Fact]
    public async Task AppendDeferred_IsWrittenWhenTheLogCloses()
    {
        var log = Open(new WalOptions { Directory = _directory.Path, DeferredFlushDelay = TimeSpan.FromHours(1) }, out _);
        var deferred = log.AppendDeferred(7, Payload(7, 10));
        await log.DisposeAsync();
        Assert.True(deferred.IsCompletedSuccessfully);
        Assert.Equal(7, Assert.Single(await ReadAll(Options())).Type);
    }

    [Fact]
    public async Task AppendDeferred_WhenItsFsyncFails_Fails()
    {
        var disk = new ControlledFsyncFileSystem { Fail = true };
        var log = OpenDeferring(disk, TimeSpan.FromMilliseconds(20));
        await using (log)
        {
            await Assert.ThrowsAsync<IOException>(() => log.AppendDeferred(1, Payload(1, 10)).WaitAsync(Deadline));
            Assert.Throws<Cohort.Core.CohortException>(() => { _ = log.AppendDeferred(1, Payload(2, 10)); });
        }
    }

    [Fact]
    public void Options_Validate_RejectsTinySegmentsAndMissingDirectory()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WalOptions { Directory = _directory.Path, SegmentBytes = 4095 }.Validate());
        Assert.ThrowsAny<ArgumentException>(() => new WalOptions { Directory = " " }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new WalOptions { Directory = _directory.Path, Durability = (DurabilityMode)7 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new WalOptions { Directory = _directory.Path, DeferredFlushDelay = TimeSpan.FromMilliseconds(-1) }.Validate());
    }

    // A log on disk whose deferred records wait at most delay for another append's flush.
    private WriteAheadLog OpenDeferring(ControlledFsyncFileSystem disk, TimeSpan delay) =>
        Open(new WalOptions { Directory = _directory.Path, FileSystem = disk, DeferredFlushDelay = delay }, out _);

    private WalOptions Options(long segmentBytes = WalOptions.DefaultSegmentBytes, DurabilityMode durability = DurabilityMode.Fsync) =>
        new() { Directory = _directory.Path, SegmentBytes = segmentBytes, Durability = durability };

    private string SegmentFile(long index) => Path.Combine(_directory.Path, $"wal-{index:D12}.log");

    // Opens the log, copying each replayed record (the payload memory belongs to the replay buffer).
    private static WriteAheadLog Open(WalOptions options, out List<Replayed> records, long fromSegment = 0, List<string>? warnings = null)
    {
        var replayed = new List<Replayed>();
        var log = WriteAheadLog.Open(options, fromSegment, r => replayed.Add(new(r.Type, r.Payload.ToArray(), r.Segment, r.Offset)), warnings is null ? null : warnings.Add);
        records = replayed;
        return log;
    }

    // Opens the log, collects what it replays and closes it again.
    private static async Task<List<Replayed>> ReadAll(WalOptions options, long fromSegment = 0, List<string>? warnings = null)
    {
        var log = Open(options, out var records, fromSegment, warnings);
        await log.DisposeAsync();
        return records;
    }

    // Appends count records of the given payload length (types 0, 1, 2…), closes the log and returns each record's offset.
    private static async Task<List<long>> WriteRecords(WalOptions options, int count, int length)
    {
        var offsets = new List<long>();
        var log = Open(options, out _);
        await using (log)
        {
            long offset = 0;
            var appends = new List<Task>();
            for (var i = 0; i < count; i++)
            {
                offsets.Add(offset);
                offset += WriteAheadLog.HeaderBytes + length;
                appends.Add(log.Append((byte)i, Payload(i, length)));
            }

            await Task.WhenAll(appends).WaitAsync(Deadline);
        }

        return offsets;
    }

    private static void FlipByte(string file, long position, byte mask)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = position;
        var b = stream.ReadByte();
        stream.Position = position;
        stream.WriteByte((byte)(b ^ mask));
    }

    private static byte[] Payload(int seed, int length)
    {
        var payload = new byte[length];
        new Random(seed).NextBytes(payload);
        return payload;
    }

    private sealed record Replayed(byte Type, byte[] Payload, long Segment, long Offset);
}
