namespace Cohort.Simulation.Disk;

public sealed class SimulatedDiskTests
{
    private const string Directory = "/machine/data";
    private const string FilePath = "/machine/data/file.bin";

    [Fact]
    public void Crash_KeepsFsyncedDataAndFsyncedDirectoryEntries()
    {
        var disk = new SimulatedDisk(new Random(1));
        disk.CreateDirectory(Directory);
        using (var file = disk.CreateFile(FilePath))
        {
            file.Write("hello"u8, 0);
            file.Write("world"u8, 5);
            file.Fsync();
        }

        disk.FsyncDirectory(Directory);
        disk.Crash();

        Assert.Equal("helloworld"u8.ToArray(), disk.ReadAllBytes(FilePath));
        Assert.True(disk.DirectoryExists(Directory));
        Assert.Equal(0, disk.BytesLost);
        Assert.Equal(1, disk.Crashes);
    }

    [Fact]
    public void Crash_MayDropAFileCreatedWithoutDirectoryFsync()
    {
        var outcomes = new HashSet<bool>();
        for (var seed = 0; seed < 40; seed++)
        {
            var disk = new SimulatedDisk(new Random(seed));
            disk.CreateDirectory(Directory);
            using (var file = disk.CreateFile(FilePath))
            {
                file.Write("data"u8, 0);
                file.Fsync();
            }

            disk.Crash();
            var exists = disk.FileExists(FilePath);
            if (exists)
            {
                Assert.Equal("data"u8.ToArray(), disk.ReadAllBytes(FilePath));
            }

            outcomes.Add(exists);
        }

        Assert.Equal(2, outcomes.Count);
    }

    [Fact]
    public void Crash_KeepsAPossiblyTornPrefixOfUnsyncedBytes()
    {
        var durable = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        var unsynced = Enumerable.Range(100, 100).Select(i => (byte)i).ToArray();
        var lengths = new HashSet<int>();
        long torn = 0;
        for (var seed = 0; seed < 60; seed++)
        {
            var disk = NewDiskWithFile(seed, durable);
            using (var file = disk.OpenFile(FilePath, createIfMissing: false))
            {
                file.Write(unsynced, durable.Length);
                Assert.Equal(200, file.Length);
            }

            disk.Crash();
            var after = disk.ReadAllBytes(FilePath);
            Assert.InRange(after.Length, durable.Length, durable.Length + unsynced.Length);
            Assert.Equal(durable, after[..durable.Length]);
            var survived = after.Length - durable.Length;
            Assert.Equal(unsynced.Length - survived, disk.BytesLost);
            if (disk.TornTails == 0)
            {
                Assert.Equal(unsynced[..survived], after[durable.Length..]);
            }

            torn += disk.TornTails;
            lengths.Add(after.Length);
        }

        Assert.Contains(100, lengths);
        Assert.Contains(200, lengths);
        Assert.True(lengths.Count > 3, "partial tails survive too");
        Assert.True(torn > 0, "some tails are torn");
    }

    [Fact]
    public void Crash_UndoesOrKeepsAnUnsyncedTruncation()
    {
        var lengths = new HashSet<int>();
        for (var seed = 0; seed < 20; seed++)
        {
            var disk = NewDiskWithFile(seed, new byte[64]);
            using (var file = disk.OpenFile(FilePath, createIfMissing: false))
            {
                file.SetLength(10);
            }

            disk.Crash();
            lengths.Add(disk.ReadAllBytes(FilePath).Length);
        }

        Assert.Equal([10, 64], lengths.Order());
    }

    [Fact]
    public void Crash_GivesOldOrNewAfterAnUnsyncedRename()
    {
        var outcomes = new HashSet<string>();
        for (var seed = 0; seed < 40; seed++)
        {
            var disk = NewDiskWithFile(seed, "old"u8.ToArray());
            using (var file = disk.CreateFile(FilePath + ".tmp"))
            {
                file.Write("new"u8, 0);
                file.Fsync();
            }

            disk.Move(FilePath + ".tmp", FilePath);
            Assert.False(disk.FileExists(FilePath + ".tmp"));
            disk.Crash();
            outcomes.Add(System.Text.Encoding.ASCII.GetString(disk.ReadAllBytes(FilePath)));
        }

        Assert.Equal(["new", "old"], outcomes.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void OpenFiles_FailAfterACrash()
    {
        var disk = NewDiskWithFile(3, [1, 2, 3]);
        var file = disk.OpenFile(FilePath, createIfMissing: false);
        disk.Crash();
        Assert.Throws<IOException>(() => file.Write([4], 3));
        Assert.Throws<IOException>(file.Fsync);
        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => file.Length);
    }

    [Fact]
    public void FailNextFsync_FailsOnceAndLeavesTheUnsyncedDataUndefined()
    {
        var disk = NewDiskWithFile(5, [1, 2, 3]);
        using var file = disk.OpenFile(FilePath, createIfMissing: false);
        file.Write([4, 5, 6], 3);
        disk.FailNextFsync(FilePath);

        Assert.Throws<IOException>(file.Fsync);
        Assert.Equal(1, disk.FailedFsyncs);
        var after = disk.ReadAllBytes(FilePath);
        Assert.Equal([1, 2, 3], after[..3]);
        Assert.InRange(after.Length, 3, 6);

        file.Fsync();
        Assert.Equal(1, disk.FailedFsyncs);
    }

    [Fact]
    public void FsyncFailureProbability_FailsFileAndDirectoryFsyncs()
    {
        var disk = NewDiskWithFile(6, [1]);
        disk.FsyncFailureProbability = 1;
        using var file = disk.OpenFile(FilePath, createIfMissing: false);
        Assert.Throws<IOException>(file.Fsync);
        Assert.Throws<IOException>(() => disk.FsyncDirectory(Directory));
        Assert.Equal(2, disk.FailedFsyncs);
        Assert.Throws<ArgumentOutOfRangeException>(() => disk.FsyncFailureProbability = 1.5);
    }

    [Fact]
    public void CrashAtOperation_CrashesInsideTheChosenCall()
    {
        var disk = NewDiskWithFile(7, [1, 2]);
        using var file = disk.OpenFile(FilePath, createIfMissing: false);
        disk.CrashAtOperation(2);
        file.Write([3], 2);
        Assert.Throws<SimulatedCrashException>(file.Fsync);
        Assert.Equal(1, disk.Crashes);
        Assert.Throws<IOException>(() => file.Write([4], 3));
        var after = disk.ReadAllBytes(FilePath);
        Assert.Equal([1, 2], after[..2]);
        Assert.InRange(after.Length, 2, 3);
    }

    [Fact]
    public void EnumerateFiles_MatchesThePatternInOrdinalOrder()
    {
        var disk = new SimulatedDisk(new Random(8));
        disk.CreateDirectory(Directory + "/sub");
        foreach (var name in new[] { "wal-3.log", "wal-10.log", "wal-1.log", "other.log", "wal-2.log.tmp" })
        {
            disk.CreateFile(Path.Combine(Directory, name)).Dispose();
        }

        disk.CreateFile(Directory + "/sub/wal-0.log").Dispose();

        Assert.Equal(
            [Directory + "/wal-1.log", Directory + "/wal-10.log", Directory + "/wal-3.log"],
            disk.EnumerateFiles(Directory, "wal-*.log"));
        Assert.Throws<DirectoryNotFoundException>(() => disk.EnumerateFiles("/nowhere", "*"));
        Assert.Throws<DirectoryNotFoundException>(() => disk.CreateFile("/nowhere/file"));
        Assert.Throws<FileNotFoundException>(() => disk.OpenFile(Directory + "/missing", createIfMissing: false));
        Assert.Throws<FileNotFoundException>(() => disk.ReadAllBytes(Directory + "/missing"));
        disk.Delete(Directory + "/missing");
    }

    [Fact]
    public void Crash_IsAFunctionOfTheSeed()
    {
        static (string, long, long) Run(int seed)
        {
            var disk = NewDiskWithFile(seed, new byte[50]);
            using (var file = disk.OpenFile(FilePath, createIfMissing: false))
            {
                file.Write(Enumerable.Range(0, 500).Select(i => (byte)i).ToArray(), 50);
            }

            disk.Crash();
            return (Convert.ToHexString(disk.ReadAllBytes(FilePath)), disk.BytesLost, disk.TornTails);
        }

        for (var seed = 0; seed < 20; seed++)
        {
            Assert.Equal(Run(seed), Run(seed));
        }
    }

    private static SimulatedDisk NewDiskWithFile(int seed, byte[] contents)
    {
        var disk = new SimulatedDisk(new Random(seed));
        disk.CreateDirectory(Directory);
        using (var file = disk.CreateFile(FilePath))
        {
            file.Write(contents, 0);
            file.Fsync();
        }

        disk.FsyncDirectory(Directory);
        return disk;
    }
}
