using System.Globalization;
using Cohort.Engines;
using Cohort.Storage.Wal;

namespace Cohort.Tests.Engines.Kv;

/// <summary>Durability of the KV engine, proven by killing a real process mid-write and restarting.</summary>
[Trait("Category", "Crash")]
public sealed class KvCrashTests : IDisposable
{
    private const string Resource = "kv:crash";
    private const int KeysPerTransaction = 3;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Kill_WhileEightWritersCommit_KeepsEveryAcknowledgedCommitAndNoPartialOne()
    {
        var acknowledged = new Dictionary<int, long>();
        void Record(string line)
        {
            var parts = line.Split(' ');
            if (parts is ["ACK", var w, var n])
            {
                var writer = int.Parse(w, CultureInfo.InvariantCulture);
                acknowledged[writer] = Math.Max(acknowledged.GetValueOrDefault(writer, -1), long.Parse(n, CultureInfo.InvariantCulture));
            }
        }

        await using (var child = CrashHostProcess.Start("writers", _directory.Path, Resource, "8", KeysPerTransaction.ToString(CultureInfo.InvariantCulture)))
        {
            var acks = 0;
            await child.WaitForLineAsync(_ => ++acks >= 400, TimeSpan.FromSeconds(60), Record);
            await child.KillAsync();
            await child.DrainAsync(Record);
        }

        Assert.Equal(8, acknowledged.Count);
        await using var engine = EngineFactory.Open(Resource, new EngineOptions { DataDirectory = _directory.Path });
        await AssertWritersSurvivedAsync(engine, acknowledged, prepared: static (_, _) => false);
    }

    [Fact]
    public async Task Kill_WhileEightWritersCommitInTwoPhases_LeavesNoAcknowledgedCommitInDoubt()
    {
        // Phase two's commit record shares the next flush and the transaction's locks go as soon as it is logged; the
        // acknowledgement (after which a coordinator forgets its decision) must still wait for it to be durable.
        var acknowledged = new Dictionary<int, long>();
        var acknowledgedIds = new HashSet<string>();
        var preparedIds = new Dictionary<(int Writer, long N), string>();
        void Record(string line)
        {
            switch (line.Split(' '))
            {
                case ["PREPARED", var w, var n, var id]:
                    preparedIds[(int.Parse(w, CultureInfo.InvariantCulture), long.Parse(n, CultureInfo.InvariantCulture))] = id;
                    break;
                case ["ACK", var w, var n, var id]:
                    var writer = int.Parse(w, CultureInfo.InvariantCulture);
                    acknowledged[writer] = Math.Max(acknowledged.GetValueOrDefault(writer, -1), long.Parse(n, CultureInfo.InvariantCulture));
                    acknowledgedIds.Add(id);
                    break;
            }
        }

        await using (var child = CrashHostProcess.Start("two-phase-writers", _directory.Path, Resource, "8", KeysPerTransaction.ToString(CultureInfo.InvariantCulture)))
        {
            var acks = 0;
            await child.WaitForLineAsync(line => line.StartsWith("ACK", StringComparison.Ordinal) && ++acks >= 400, TimeSpan.FromSeconds(60), Record);
            await child.KillAsync();
            await child.DrainAsync(Record);
        }

        Assert.Equal(8, acknowledged.Count);
        await using var engine = EngineFactory.Open(Resource, new EngineOptions { DataDirectory = _directory.Path });
        var inDoubt = engine.GetPrepared().Select(p => p.Id.ToString()).ToHashSet(StringComparer.Ordinal);
        Assert.Empty(inDoubt.Intersect(acknowledgedIds));

        // The coordinator's decision for the rest is commit (each writer commits right after its Yes vote).
        foreach (var prepared in engine.GetPrepared())
        {
            await engine.CommitAsync(prepared.Id, engine.Clock.Now(), default);
        }

        // Past the last acknowledgement a transaction is whole if it prepared.
        await AssertWritersSurvivedAsync(engine, acknowledged, prepared: (writer, n) => preparedIds.ContainsKey((writer, n)));
    }

    // Every acknowledged transaction of each writer is complete; the four after its last acknowledgement are all there
    // or not there at all, and all there when prepared says the transaction reached its Yes vote.
    private static async Task AssertWritersSurvivedAsync(ITransactionalEngine engine, Dictionary<int, long> acknowledged, Func<int, long, bool> prepared)
    {
        foreach (var (writer, last) in acknowledged)
        {
            for (long n = 0; n <= last; n++)
            {
                for (var k = 0; k < KeysPerTransaction; k++)
                {
                    Assert.Equal(Value.From(n), await GetAsync(engine, $"w{writer}:{n}:{k}"));
                }
            }

            for (var n = last + 1; n <= last + 4; n++)
            {
                var present = 0;
                for (var k = 0; k < KeysPerTransaction; k++)
                {
                    present += (await GetAsync(engine, $"w{writer}:{n}:{k}")).IsNull ? 0 : 1;
                }

                Assert.True(present is 0 or KeysPerTransaction, $"writer {writer} transaction {n} is half-applied: {present} of {KeysPerTransaction} keys");
                if (prepared(writer, n))
                {
                    Assert.Equal(KeysPerTransaction, present);
                }
            }
        }
    }

    [Fact]
    public async Task Restart_AfterTornLastRecord_RecoversEverythingBeforeIt()
    {
        var options = new EngineOptions { DataDirectory = _directory.Path };
        await using (var engine = EngineFactory.Open(Resource, options))
        {
            for (var i = 0; i < 10; i++)
            {
                await PutAsync(engine, $"k{i}", i);
            }
        }

        var segment = Directory.GetFiles(Path.Combine(_directory.Path, "wal"), "wal-*.log").Single();
        var length = new FileInfo(segment).Length;
        using (var stream = new FileStream(segment, FileMode.Open))
        {
            stream.SetLength(length - 5); // cut into the last record, as a crash mid-write would
        }

        await using (var engine = EngineFactory.Open(Resource, options))
        {
            for (var i = 0; i < 9; i++)
            {
                Assert.Equal(Value.From(i), await GetAsync(engine, $"k{i}"));
            }

            Assert.True((await GetAsync(engine, "k9")).IsNull);
            await PutAsync(engine, "after", 1);
        }

        await using (var engine = EngineFactory.Open(Resource, options))
        {
            Assert.Equal(Value.From(1), await GetAsync(engine, "after"));
        }
    }

    [Fact]
    public async Task Restart_AfterFlippedByteInTheMiddle_RefusesToStartNamingFileAndOffset()
    {
        var options = new EngineOptions { DataDirectory = _directory.Path };
        var offsets = new List<long>();
        await using (var engine = EngineFactory.Open(Resource, options))
        {
            for (var i = 0; i < 10; i++)
            {
                await PutAsync(engine, $"k{i}", i);
            }
        }

        var segment = Directory.GetFiles(Path.Combine(_directory.Path, "wal"), "wal-*.log").Single();
        var bytes = await File.ReadAllBytesAsync(segment);
        var position = 0L;
        while (position < bytes.Length)
        {
            offsets.Add(position);
            position += WriteAheadLog.HeaderBytes + BitConverter.ToUInt32(bytes, (int)position);
        }

        var victim = offsets[4];
        bytes[victim + WriteAheadLog.HeaderBytes + 3] ^= 0x40;
        await File.WriteAllBytesAsync(segment, bytes);

        var error = Assert.Throws<WalCorruptionException>(() => EngineFactory.Open(Resource, options));
        Assert.Equal(segment, error.File);
        Assert.Equal(victim, error.Offset);
        Assert.Contains(Path.GetFileName(segment), error.Message);
        Assert.Contains($"offset {victim}", error.Message);
    }

    private static async Task PutAsync(ITransactionalEngine engine, string key, long value)
    {
        var tx = new TransactionContext(TxId.NewId(), DateTimeOffset.UtcNow.AddSeconds(30));
        await engine.ApplyAsync(tx, Operation.Create("put", ("key", key), ("value", value)), default);
        await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), default);
    }

    private static async Task<Value> GetAsync(ITransactionalEngine engine, string key) =>
        await engine.ReadAsync(engine.Clock.Now(), Operation.Create("get", ("key", key)), default);
}
