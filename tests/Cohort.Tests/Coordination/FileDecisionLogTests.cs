using Cohort.Coordination;
using Cohort.Protocol;
using Cohort.Storage.Wal;

namespace Cohort.Tests.Coordination;

/// <summary>The file decision log: durable COMMITs, END, recovery of unfinished decisions, compaction.</summary>
public sealed class FileDecisionLogTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private FileDecisionLog Open(int compactAfter = FileDecisionLogOptions.DefaultCompactAfterRecords, long segmentBytes = FileDecisionLogOptions.DefaultSegmentBytes) =>
        FileDecisionLog.Open(new FileDecisionLogOptions { Directory = _directory.Path, CompactAfterRecords = compactAfter, SegmentBytes = segmentBytes });

    private static CommitDecision Decision(int i) => new(
        TxId.NewId(),
        [new Participant($"kv:r{i}", "n1"), new Participant("queue:q", $"node-{i}")],
        new HlcTimestamp(1_000_000L + i),
        Epoch: 3 + i);

    [Fact]
    public async Task Reopen_ReturnsDecisionsWithoutEnd_AndNotThoseWithEnd()
    {
        var decisions = Enumerable.Range(0, 5).Select(Decision).ToList();
        await using (var log = Open())
        {
            foreach (var d in decisions)
            {
                await log.WriteCommitAsync(d, default);
            }

            log.WriteEnd(decisions[1].TxId);
            log.WriteEnd(decisions[3].TxId);
            Assert.Equal(3, log.GetUnfinished().Count);
        }

        await using var reopened = Open();
        var unfinished = reopened.GetUnfinished().OrderBy(d => d.CommitTimestamp).ToList();
        Assert.Equal([decisions[0].TxId, decisions[2].TxId, decisions[4].TxId], unfinished.Select(d => d.TxId));
        for (var k = 0; k < 3; k++)
        {
            var expected = decisions[k * 2];
            Assert.Equal(expected.CommitTimestamp, unfinished[k].CommitTimestamp);
            Assert.Equal(expected.Epoch, unfinished[k].Epoch);
            Assert.Equal(expected.Participants.ToArray(), unfinished[k].Participants.ToArray());
        }
    }

    [Fact]
    public async Task ConcurrentCommits_AllDurable_AndRecoveredAfterReopen()
    {
        var decisions = Enumerable.Range(0, 64).Select(Decision).ToList();
        await using (var log = Open())
        {
            await Task.WhenAll(decisions.Select(d => log.WriteCommitAsync(d, default).AsTask()));
        }

        await using var reopened = Open();
        Assert.Equal(decisions.Select(d => d.TxId).Order(), reopened.GetUnfinished().Select(d => d.TxId).Order());
    }

    [Fact]
    public async Task Compaction_KeepsUnfinishedDecisions_AndDeletesOldSegments()
    {
        var decisions = Enumerable.Range(0, 400).Select(Decision).ToList();
        await using (var log = Open(compactAfter: 100, segmentBytes: 4096))
        {
            foreach (var d in decisions)
            {
                await log.WriteCommitAsync(d, default);
            }

            for (var i = 0; i < decisions.Count; i++)
            {
                if (i % 40 != 0)
                {
                    log.WriteEnd(decisions[i].TxId);
                }
            }

            await log.CompactAsync();
            Assert.True(log.CompactionCount >= 1);
            Assert.Equal(10, log.GetUnfinished().Count);
        }

        var segments = Directory.GetFiles(Path.Combine(_directory.Path, "wal"), "wal-*.log");
        Assert.True(segments.Length <= 2, $"{segments.Length} segments left after compaction");
        Assert.Single(Directory.GetFiles(Path.Combine(_directory.Path, "snapshots"), "snapshot-*.snap"));

        await using var reopened = Open();
        var expected = decisions.Where((_, i) => i % 40 == 0).Select(d => d.TxId).Order();
        Assert.Equal(expected, reopened.GetUnfinished().Select(d => d.TxId).Order());
    }

    [Fact]
    public async Task Compaction_ThenMoreRecords_ReplaysSnapshotPlusNewerSegments()
    {
        var first = Decision(1);
        var second = Decision(2);
        var third = Decision(3);
        await using (var log = Open())
        {
            await log.WriteCommitAsync(first, default);
            await log.WriteCommitAsync(second, default);
            await log.CompactAsync();
            log.WriteEnd(first.TxId);
            await log.WriteCommitAsync(third, default);
        }

        await using var reopened = Open();
        Assert.Equal(new[] { second.TxId, third.TxId }.Order(), reopened.GetUnfinished().Select(d => d.TxId).Order());
    }

    [Fact]
    public async Task Reopen_AfterATornTail_KeepsEveryCompleteRecord()
    {
        var decisions = Enumerable.Range(0, 3).Select(Decision).ToList();
        await using (var log = Open())
        {
            foreach (var d in decisions)
            {
                await log.WriteCommitAsync(d, default);
            }
        }

        var segment = Directory.GetFiles(Path.Combine(_directory.Path, "wal"), "wal-*.log").Order().Last();
        await using (var stream = new FileStream(segment, FileMode.Append))
        {
            stream.Write([40, 0, 0, 0, 1, 2, 3, 4, 1, 9, 9]);
        }

        await using var reopened = Open();
        Assert.Equal(decisions.Select(d => d.TxId).Order(), reopened.GetUnfinished().Select(d => d.TxId).Order());
    }

    [Fact]
    public async Task WriteCommit_AfterDispose_Throws()
    {
        var log = Open();
        await log.DisposeAsync();
        await Assert.ThrowsAsync<CohortException>(async () => await log.WriteCommitAsync(Decision(0), default));
    }

    [Fact]
    public async Task End_AfterTheThreshold_CompactsInTheBackground()
    {
        await using var log = Open(compactAfter: 20, segmentBytes: 4096);
        var decisions = Enumerable.Range(0, 30).Select(Decision).ToList();
        foreach (var d in decisions)
        {
            await log.WriteCommitAsync(d, default);
            log.WriteEnd(d.TxId);
        }

        for (var i = 0; i < 500 && log.CompactionCount == 0; i++)
        {
            await Task.Delay(10);
        }

        Assert.True(log.CompactionCount > 0, "no compaction after 60 records with a threshold of 20");
        Assert.Empty(log.GetUnfinished());
    }
}
