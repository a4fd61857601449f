using System.Numerics;
using Cohort.Engines;
using Cohort.Engines.Resource;

namespace Cohort.Tests.Engines.Resource;

/// <summary>
/// A prepared token transfer survives a real crash (SIGKILL of a child process right after its
/// prepare became durable): after restart it is still prepared, still holds its reservation, and
/// either decision lands exactly.
/// </summary>
[Trait("Category", "Crash")]
public sealed class ResourceCrashTests : IDisposable
{
    private const string Resource = "resource:crash";
    private static readonly TimeSpan LongWait = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task PreparedTransfer_KilledBeforeTheDecision_IsRecoveredHoldingItsReservation_AndCommits()
    {
        await SetUpAsync();
        var prepared = await PrepareInChildAndKillAsync();

        await using (var engine = Open())
        {
            var recovered = Assert.Single(engine.GetPrepared());
            Assert.Equal(prepared, recovered.Id);
            Assert.Equal("test-coordinator", recovered.Coordinator);
            Assert.Equal(new BigInteger(600), engine.ReservedUnits("a"));

            // The reservation still counts: only 4.00 of a's 10.00 is available.
            var tx = Begin();
            var error = await Assert.ThrowsAsync<CohortException>(async () => await engine.ApplyAsync(tx, Transfer("a", "c", "5.00"), default));
            Assert.Equal(ErrorCodes.InsufficientFunds, error.Code);
            Assert.Contains("'a'", error.Message);
            Assert.Contains("available 4.00", error.Message);
            Assert.Contains("requested 5.00", error.Message);
            await engine.AbortAsync(tx.Id, default);
            Assert.Equal(new BigInteger(600), engine.ReservedUnits("a"));

            // A snapshot before the prepare does not wait for it and shows the old balances.
            var before = new HlcTimestamp(recovered.PrepareTimestamp.Value - 1);
            Assert.Equal("10.00", await BalanceAsync(engine, "a", before));

            await engine.CommitAsync(prepared, Max(recovered.PrepareTimestamp, engine.Clock.Now()), default);
            Assert.Equal("committed", engine.DescribeState(prepared));
            Assert.Empty(engine.GetPrepared());
            Assert.Equal(BigInteger.Zero, engine.ReservedUnits("a"));
            Assert.Equal("4.00", await BalanceAsync(engine, "a"));
            Assert.Equal("6.00", await BalanceAsync(engine, "b"));
            Assert.Equal("10.00", await SupplyAsync(engine));

            // Exactly the remaining 4.00 can now be spent.
            await CommitAsync(engine, Transfer("a", "c", "4.00"));
        }

        // The decision is durable.
        await using (var engine = Open())
        {
            Assert.Empty(engine.GetPrepared());
            Assert.Equal(BigInteger.Zero, engine.ReservedUnits("a"));
            Assert.Equal("0.00", await BalanceAsync(engine, "a"));
            Assert.Equal("6.00", await BalanceAsync(engine, "b"));
            Assert.Equal("4.00", await BalanceAsync(engine, "c"));
            Assert.Equal("10.00", await SupplyAsync(engine));
        }
    }

    [Fact]
    public async Task PreparedTransfer_KilledBeforeTheDecision_IsRecovered_AndAbortReleasesTheWholeBalance()
    {
        await SetUpAsync();
        var prepared = await PrepareInChildAndKillAsync();

        await using (var engine = Open())
        {
            Assert.Equal(prepared, Assert.Single(engine.GetPrepared()).Id);
            Assert.Equal(new BigInteger(600), engine.ReservedUnits("a"));

            // A reader after the prepare waits for the decision, then sees no trace of the transfer.
            var read = engine.ReadAsync(engine.Clock.Now(), Balance("b"), default).AsTask();
            await engine.AbortAsync(prepared, default);
            Assert.Equal("0.00", (await read.WaitAsync(LongWait)).AsString());

            Assert.Equal("aborted", engine.DescribeState(prepared));
            Assert.Empty(engine.GetPrepared());
            Assert.Equal(BigInteger.Zero, engine.ReservedUnits("a"));
            Assert.Equal("10.00", await BalanceAsync(engine, "a"));
            Assert.Equal("10.00", await SupplyAsync(engine));
            await CommitAsync(engine, Transfer("a", "c", "10.00"));
            Assert.Equal("0.00", await BalanceAsync(engine, "a"));
            Assert.Equal("10.00", await BalanceAsync(engine, "c"));
        }

        await using (var engine = Open())
        {
            Assert.Empty(engine.GetPrepared());
            Assert.Equal(BigInteger.Zero, engine.ReservedUnits("a"));
            Assert.Equal("0.00", await BalanceAsync(engine, "a"));
            Assert.Equal("0.00", await BalanceAsync(engine, "b"));
            Assert.Equal("10.00", await BalanceAsync(engine, "c"));
            Assert.Equal("10.00", await SupplyAsync(engine));
        }
    }

    [Fact]
    public async Task PreparedTransfer_KilledAndRecoveredFromASnapshot_StillHoldsItsReservation()
    {
        await SetUpAsync();
        var prepared = await PrepareInChildAndKillAsync();

        // The recovered prepared transaction goes into a snapshot, the log before it is dropped.
        await using (var engine = Open())
        {
            await engine.SnapshotAsync(default);
        }

        await using (var engine = Open())
        {
            Assert.Equal(prepared, Assert.Single(engine.GetPrepared()).Id);
            Assert.Equal(new BigInteger(600), engine.ReservedUnits("a"));
            await engine.CommitAsync(prepared, engine.Clock.Now(), default);
            Assert.Equal(BigInteger.Zero, engine.ReservedUnits("a"));
            Assert.Equal("4.00", await BalanceAsync(engine, "a"));
            Assert.Equal("6.00", await BalanceAsync(engine, "b"));
            Assert.Equal("10.00", await SupplyAsync(engine));
        }
    }

    private ResourceEngine Open() => ResourceEngine.Open(Resource, new EngineOptions { DataDirectory = _directory.Path });

    private async Task SetUpAsync()
    {
        await using var engine = Open();
        await CommitAsync(engine, Operation.Create("initialize", ("symbol", "PTS"), ("decimals", 2)));
        await CommitAsync(engine, Operation.Create("mint", ("to", "a"), ("amount", "10.00")));
    }

    private async Task<TxId> PrepareInChildAndKillAsync()
    {
        await using var child = CrashHostProcess.Start("prepare", _directory.Path, Resource, "[{\"transfer\":{\"from\":\"a\",\"to\":\"b\",\"amount\":\"6.00\"}}]");
        var line = await child.WaitForLineAsync(l => l.StartsWith("PREPARED ", StringComparison.Ordinal) || l.StartsWith("VOTE ", StringComparison.Ordinal), LongWait);
        Assert.StartsWith("PREPARED ", line, StringComparison.Ordinal);
        await child.KillAsync();
        return TxId.Parse(line["PREPARED ".Length..]);
    }

    private static TransactionContext Begin() => new(TxId.NewId(), DateTimeOffset.UtcNow.AddMinutes(2));

    private static async Task CommitAsync(ResourceEngine engine, Operation operation)
    {
        var tx = Begin();
        await engine.ApplyAsync(tx, operation, default);
        await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), default);
    }

    private static async Task<string> BalanceAsync(ResourceEngine engine, string account, HlcTimestamp? at = null) =>
        (await engine.ReadAsync(at ?? engine.Clock.Now(), Balance(account), default)).AsString();

    private static async Task<string> SupplyAsync(ResourceEngine engine) =>
        (await engine.ReadAsync(engine.Clock.Now(), Operation.Create("supply"), default)).AsString();

    private static HlcTimestamp Max(HlcTimestamp a, HlcTimestamp b) => a > b ? a : b;

    private static Operation Transfer(string from, string to, string amount) =>
        Operation.Create("transfer", ("from", from), ("to", to), ("amount", amount));

    private static Operation Balance(string account) => Operation.Create("balance", ("account", account));
}
