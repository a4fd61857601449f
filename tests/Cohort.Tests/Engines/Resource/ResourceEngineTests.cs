using System.Collections.Concurrent;
using System.Globalization;
using System.Numerics;
using Cohort.Engines;
using Cohort.Engines.Resource;
using Xunit.Abstractions;

namespace Cohort.Tests.Engines.Resource;

/// <summary>
/// Token-specific behaviour beyond the shared participant contract: exact amounts, reservations,
/// no lost credits, no overdrafts, and supply = sum of balances under any concurrency (DESIGN.md §6).
/// </summary>
public sealed class ResourceEngineTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Resource = "resource:test";
    private const int PropertySeed = 20_240_611;
    private static readonly TimeSpan LongWait = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _directory = new();
    private ResourceEngine _engine = null!;
    private string _engineDirectory = null!;

    public async Task InitializeAsync()
    {
        _engineDirectory = Path.Combine(_directory.Path, "main");
        _engine = Open(_engineDirectory);
        await CommitAsync(Initialize("PTS", 2));
    }

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        _directory.Dispose();
    }

    // ---- 1. Credits commute: none is ever lost -------------------------------------------------

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task FiftyConcurrentCreditsToOneAccount_CommittedConcurrently_AreAllCounted(bool twoPhase)
    {
        var transactions = Enumerable.Range(0, 50).Select(_ => Begin()).ToArray();
        await Task.WhenAll(transactions.Select(tx => Task.Run(async () => await _engine.ApplyAsync(tx, Mint("a", "1.00"), default))));

        // Every credit is open at once; none of them blocked another.
        Assert.Equal(50, _engine.ActiveTransactionCount);
        if (twoPhase)
        {
            var votes = await Task.WhenAll(transactions.Select(tx => Task.Run(async () => await _engine.PrepareAsync(tx.Id, new PrepareInfo(null), default))));
            Assert.All(votes, vote => Assert.Equal(VoteKind.Yes, vote.Kind));
            Assert.Equal(50, _engine.GetPrepared().Count);
        }

        await Task.WhenAll(transactions.Select(tx => Task.Run(async () => await _engine.CommitOnePhaseAsync(tx.Id, _engine.Clock.Now(), default)))).WaitAsync(LongWait);

        Assert.All(transactions, tx => Assert.Equal("committed", _engine.DescribeState(tx.Id)));
        Assert.Equal(0, _engine.ActiveTransactionCount);
        Assert.Equal("50.00", await BalanceAsync("a"));
        Assert.Equal("50.00", await SupplyAsync());

        // The log agrees.
        await ReopenAsync();
        Assert.Equal("50.00", await BalanceAsync("a"));
        Assert.Equal("50.00", await SupplyAsync());
    }

    // ---- 2. Debits reserve: never an overdraft -------------------------------------------------

    [Fact]
    public async Task ThirtyConcurrentDebitsOfTenUnits_ExactlyTenCommit_AndTheRestFailWithInsufficientFunds()
    {
        await CommitAsync(Mint("src", "10.00"));
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = Enumerable.Range(0, 30).Select(i => Task.Run(async () =>
        {
            await start.Task;
            var tx = Begin();
            try
            {
                await _engine.ApplyAsync(tx, Transfer("src", $"dst{i}", "1.00"), default);
            }
            catch (CohortException e) when (e.Code == ErrorCodes.InsufficientFunds)
            {
                await _engine.AbortAsync(tx.Id, default);
                return (Index: i, Tx: tx.Id, Error: (CohortException?)e, At: _engine.Clock.Now());
            }

            await _engine.CommitOnePhaseAsync(tx.Id, _engine.Clock.Now(), default);
            return (Index: i, Tx: tx.Id, Error: (CohortException?)null, At: _engine.Clock.Now());
        })).ToArray();
        start.SetResult();
        var results = await Task.WhenAll(attempts).WaitAsync(LongWait);

        var committed = results.Where(r => r.Error is null).ToList();
        var failed = results.Where(r => r.Error is not null).ToList();
        Assert.Equal(10, committed.Count);
        Assert.Equal(20, failed.Count);
        foreach (var (_, tx, error, _) in failed)
        {
            Assert.Equal(ErrorCodes.InsufficientFunds, error!.Code);
            Assert.False(error.IsTransient);
            Assert.Contains("'src'", error.Message);
            Assert.Contains("available 0.00", error.Message);
            Assert.Contains("requested 1.00", error.Message);
            Assert.Equal("aborted", _engine.DescribeState(tx));
        }

        Assert.All(committed, r => Assert.Equal("committed", _engine.DescribeState(r.Tx)));
        Assert.Equal(0, _engine.ActiveTransactionCount);
        Assert.Equal(BigInteger.Zero, _engine.ReservedUnits("src"));

        // Never negative, at any moment a transaction finished.
        foreach (var (_, _, _, at) in results)
        {
            Assert.True(Cents(await BalanceAsync("src", at)) >= 0, $"src is negative at {at}");
        }

        Assert.Equal("0.00", await BalanceAsync("src"));
        Assert.Equal("10.00", await SupplyAsync());
        foreach (var (index, _, error, _) in results)
        {
            Assert.Equal(error is null ? "1.00" : "0.00", await BalanceAsync($"dst{index}"));
        }
    }

    [Fact]
    public async Task Debit_LargerThanBalanceMinusReservations_FailsNamingAccountAvailableAndRequested()
    {
        await CommitAsync(Mint("a", "10.00"));
        var holder = Begin();
        await Apply(holder, Transfer("a", "b", "3.00"));

        var tx = Begin();
        var error = await ApplyFailsAsync(tx, Transfer("a", "c", "8.00"), ErrorCodes.InsufficientFunds);
        Assert.Equal("Insufficient funds in account 'a': available 7.00, requested 8.00.", error.Message);

        // The same transaction may still debit what is available.
        await Apply(tx, Burn("a", "7.00"));
        var third = Begin();
        await ApplyFailsAsync(third, Burn("a", "0.01"), ErrorCodes.InsufficientFunds);
        await _engine.AbortAsync(third.Id, default);

        await _engine.CommitOnePhaseAsync(holder.Id, _engine.Clock.Now(), default);
        await _engine.CommitOnePhaseAsync(tx.Id, _engine.Clock.Now(), default);
        Assert.Equal("0.00", await BalanceAsync("a"));
        Assert.Equal("3.00", await BalanceAsync("b"));
        Assert.Equal("3.00", await SupplyAsync());
    }

    [Fact]
    public async Task Debit_WhileAnotherDebitOfTheSameAccountCommits_NeverFailsSpuriously()
    {
        // "a" holds 2.00 and a committer repeatedly moves 1.00 out and back in, so at every moment
        // at most 1.00 of it is reserved or gone: a concurrent debit of 1.00 must always fit.
        await CommitAsync(Mint("a", "2.00"));
        var spurious = new ConcurrentQueue<string>();
        var stop = 0;
        var probes = 0;
        var prober = Task.Run(async () =>
        {
            while (Volatile.Read(ref stop) == 0)
            {
                var tx = Begin();
                try
                {
                    await _engine.ApplyAsync(tx, Transfer("a", "c", "1.00"), default);
                }
                catch (CohortException e) when (e.Code == ErrorCodes.InsufficientFunds)
                {
                    spurious.Enqueue(e.Message);
                }
                finally
                {
                    await _engine.AbortAsync(tx.Id, default);
                }

                Interlocked.Increment(ref probes);
            }
        });

        var rounds = 0;
        try
        {
            for (; rounds < 300 && spurious.IsEmpty; rounds++)
            {
                await CommitAsync(Transfer("a", "b", "1.00"));
                await CommitAsync(Transfer("b", "a", "1.00"));
            }
        }
        finally
        {
            Volatile.Write(ref stop, 1);
            await prober.WaitAsync(LongWait);
        }

        Assert.True(
            spurious.IsEmpty,
            $"After {rounds} rounds and {Volatile.Read(ref probes)} probes, a debit of 1.00 from an account with at least 1.00 unreserved failed: {string.Join(" | ", spurious.Take(3))}");
        Assert.Equal("2.00", await BalanceAsync("a"));
        Assert.Equal(BigInteger.Zero, _engine.ReservedUnits("a"));
    }

    // ---- 3. Randomized concurrent history: the supply invariant ---------------------------------

    [Fact]
    public async Task RandomConcurrentTransactions_KeepSupplyEqualToSumOfBalancesAtEverySnapshot_AndReplayIdentically()
    {
        const int Workers = 16;
        const int TransactionsPerWorker = 200;
        const int Total = Workers * TransactionsPerWorker;
        string[] accounts = [.. Enumerable.Range(0, 8).Select(i => $"acct{i}")];
        var committedDeltas = new long[accounts.Length];
        long committedSupply = 0;
        long finished = 0;
        var snapshotWritten = 0;
        var outcomes = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var snapshots = new ConcurrentQueue<HlcTimestamp>();

        async Task RunWorkerAsync(int worker)
        {
            var random = new Random(PropertySeed + worker);
            for (var n = 0; n < TransactionsPerWorker; n++)
            {
                var tx = Begin();
                var deltas = new long[accounts.Length];
                long supplyDelta = 0;
                var insufficient = false;
                var trace = new List<string>();
                try
                {
                    var operations = random.Next(1, 5);
                    for (var i = 0; i < operations; i++)
                    {
                        var cents = random.Next(1, 501);
                        var kind = random.Next(100);
                        var from = random.Next(accounts.Length);
                        var to = (from + 1 + random.Next(accounts.Length - 1)) % accounts.Length;
                        var operation = kind switch
                        {
                            < 35 => Mint(accounts[to], FormatCents(cents)),
                            < 55 => Burn(accounts[from], FormatCents(cents)),
                            _ => Transfer(accounts[from], accounts[to], FormatCents(cents)),
                        };
                        trace.Add(operation.ToString());
                        if (insufficient)
                        {
                            continue; // keep drawing, so a worker's sequence does not depend on timing
                        }

                        try
                        {
                            await _engine.ApplyAsync(tx, operation, default);
                        }
                        catch (CohortException e) when (e.Code == ErrorCodes.InsufficientFunds)
                        {
                            insufficient = true;
                            continue;
                        }

                        switch (kind)
                        {
                            case < 35:
                                deltas[to] += cents;
                                supplyDelta += cents;
                                break;
                            case < 55:
                                deltas[from] -= cents;
                                supplyDelta -= cents;
                                break;
                            default:
                                deltas[from] -= cents;
                                deltas[to] += cents;
                                break;
                        }
                    }

                    var ending = random.Next(100);
                    string outcome;
                    if (insufficient)
                    {
                        await _engine.AbortAsync(tx.Id, default);
                        outcome = "insufficient";
                    }
                    else if (ending < 40)
                    {
                        await _engine.CommitOnePhaseAsync(tx.Id, _engine.Clock.Now(), default);
                        outcome = "one-phase";
                    }
                    else if (ending < 75)
                    {
                        var vote = await _engine.PrepareAsync(tx.Id, new PrepareInfo(null), default);
                        Assert.True(vote.Kind == VoteKind.Yes, $"vote {vote}");
                        await _engine.CommitAsync(tx.Id, Max(vote.PrepareTimestamp, _engine.Clock.Now()), default);
                        outcome = "two-phase";
                    }
                    else if (ending < 88)
                    {
                        var vote = await _engine.PrepareAsync(tx.Id, new PrepareInfo(null), default);
                        Assert.True(vote.Kind == VoteKind.Yes, $"vote {vote}");
                        await _engine.AbortAsync(tx.Id, default);
                        outcome = "prepared-abort";
                    }
                    else
                    {
                        await _engine.AbortAsync(tx.Id, default);
                        outcome = "abort";
                    }

                    outcomes.AddOrUpdate(outcome, 1, (_, c) => c + 1);
                    if (outcome is "one-phase" or "two-phase")
                    {
                        for (var a = 0; a < accounts.Length; a++)
                        {
                            Interlocked.Add(ref committedDeltas[a], deltas[a]);
                        }

                        Interlocked.Add(ref committedSupply, supplyDelta);
                    }
                }
                catch (Exception e)
                {
                    throw new InvalidOperationException($"seed {PropertySeed}: worker {worker} transaction {n} ({string.Join(", ", trace)}) failed: {e.Message}", e);
                }

                var done = Interlocked.Increment(ref finished);
                if (done % 200 == 0)
                {
                    snapshots.Enqueue(_engine.Clock.Now());
                }

                // Halfway, write a snapshot (with whatever is prepared at that moment) so the replay check covers snapshot + log.
                if (done >= Total / 2 && Interlocked.CompareExchange(ref snapshotWritten, 1, 0) == 0)
                {
                    await _engine.SnapshotAsync(default);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Workers).Select(w => Task.Run(() => RunWorkerAsync(w)))).WaitAsync(TimeSpan.FromMinutes(3));
        var summary = $"seed {PropertySeed}, outcomes {string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key}={o.Value}"))}";
        output.WriteLine(summary);

        // The history exercised every path.
        foreach (var outcome in new[] { "one-phase", "two-phase", "prepared-abort", "abort", "insufficient" })
        {
            Assert.True(outcomes.GetValueOrDefault(outcome) > 0, $"{summary}: no transaction ended '{outcome}'");
        }

        Assert.Equal(0, _engine.ActiveTransactionCount);
        Assert.Empty(_engine.GetPrepared());
        foreach (var account in accounts)
        {
            Assert.True(_engine.ReservedUnits(account).IsZero, $"{summary}: {account} still has {_engine.ReservedUnits(account)} units reserved");
        }

        // The final state is exactly the sum of the committed transactions' effects.
        var end = _engine.Clock.Now();
        var final = await ReadAllAsync(accounts, end);
        for (var a = 0; a < accounts.Length; a++)
        {
            Assert.True(Cents(final.Balances[a]) == committedDeltas[a], $"{summary}: {accounts[a]} is {final.Balances[a]} but committed transactions add up to {FormatCents(committedDeltas[a])}");
        }

        Assert.True(Cents(final.Supply) == committedSupply, $"{summary}: supply is {final.Supply} but committed transactions add up to {FormatCents(committedSupply)}");
        AssertInvariant(final, accounts, $"{summary}, at the end ({end})");
        output.WriteLine($"final balances [{string.Join(", ", final.Balances)}], supply {final.Supply}, {snapshots.Count} intermediate snapshots");

        // Every intermediate snapshot is consistent too.
        Assert.True(snapshots.Count >= 10, $"{summary}: only {snapshots.Count} snapshots");
        foreach (var at in snapshots)
        {
            AssertInvariant(await ReadAllAsync(accounts, at), accounts, $"{summary}, at snapshot {at}");
        }

        // Replaying snapshot + log gives the same state.
        await ReopenAsync();
        var replayed = await ReadAllAsync(accounts, _engine.Clock.Now());
        Assert.Equal(final.Balances, replayed.Balances);
        Assert.Equal(final.Supply, replayed.Supply);
        Assert.Empty(_engine.GetPrepared());
        Assert.All(accounts, account => Assert.True(_engine.ReservedUnits(account).IsZero, $"{summary}: {account} reserved after replay"));
    }

    // ---- 4. Reservations end with their transaction ---------------------------------------------

    [Fact]
    public async Task Abort_OfAnActiveDebit_ReleasesItsReservation()
    {
        await CommitAsync(Mint("a", "10.00"));
        var tx = Begin();
        await Apply(tx, Transfer("a", "b", "4.00"));
        Assert.Equal(new BigInteger(400), _engine.ReservedUnits("a"));
        var other = Begin();
        var error = await ApplyFailsAsync(other, Transfer("a", "c", "7.00"), ErrorCodes.InsufficientFunds);
        Assert.Contains("available 6.00", error.Message);

        await _engine.AbortAsync(tx.Id, default);
        Assert.Equal(BigInteger.Zero, _engine.ReservedUnits("a"));
        Assert.Equal("aborted", _engine.DescribeState(tx.Id));

        // The whole balance is available again, to the same transaction that was refused.
        await Apply(other, Transfer("a", "c", "10.00"));
        await _engine.CommitOnePhaseAsync(other.Id, _engine.Clock.Now(), default);
        Assert.Equal("0.00", await BalanceAsync("a"));
        Assert.Equal("0.00", await BalanceAsync("b"));
        Assert.Equal("10.00", await BalanceAsync("c"));
        Assert.Equal(BigInteger.Zero, _engine.ReservedUnits("a"));
    }

    [Fact]
    public async Task Abort_OfAPreparedDebit_ReleasesItsReservation()
    {
        await CommitAsync(Mint("a", "10.00"));
        var tx = Begin();
        await Apply(tx, Transfer("a", "b", "4.00"));
        await Apply(tx, Burn("a", "1.50"));
        var vote = await _engine.PrepareAsync(tx.Id, new PrepareInfo(null), default);
        Assert.Equal(VoteKind.Yes, vote.Kind);
        Assert.Equal(tx.Id, Assert.Single(_engine.GetPrepared()).Id);
        Assert.Equal(new BigInteger(550), _engine.ReservedUnits("a"));
        await ApplyFailsAsync(Begin(), Transfer("a", "c", "4.51"), ErrorCodes.InsufficientFunds);

        // A reader at or after the prepare timestamp waits for the decision.
        var read = _engine.ReadAsync(_engine.Clock.Now(), Balance("a"), default).AsTask();
        await _engine.AbortAsync(tx.Id, default);
        Assert.Equal("10.00", (await read.WaitAsync(LongWait)).AsString());

        Assert.Empty(_engine.GetPrepared());
        Assert.Equal(BigInteger.Zero, _engine.ReservedUnits("a"));
        Assert.Equal("aborted", _engine.DescribeState(tx.Id));
        Assert.Equal("10.00", await SupplyAsync());
        await CommitAsync(Transfer("a", "c", "10.00"));
        Assert.Equal("10.00", await BalanceAsync("c"));
    }

    [Fact]
    public async Task Commit_OfAPreparedDebit_LandsItAndReleasesItsReservation()
    {
        await CommitAsync(Mint("a", "10.00"));
        var tx = Begin();
        await Apply(tx, Transfer("a", "b", "4.00"));
        var vote = await _engine.PrepareAsync(tx.Id, new PrepareInfo(null), default);
        Assert.Equal(new BigInteger(400), _engine.ReservedUnits("a"));
        await _engine.CommitAsync(tx.Id, Max(vote.PrepareTimestamp, _engine.Clock.Now()), default);

        Assert.Equal(BigInteger.Zero, _engine.ReservedUnits("a"));
        Assert.Equal("6.00", await BalanceAsync("a"));
        Assert.Equal("4.00", await BalanceAsync("b"));
        Assert.Equal("10.00", await SupplyAsync());
    }

    [Fact]
    public async Task FailedDebit_ReservesNothing_AndTheTransactionKeepsItsEarlierDebits()
    {
        await CommitAsync(Mint("a", "5.00"));
        var tx = Begin();
        await Apply(tx, Transfer("a", "b", "3.00"));
        Assert.Equal(new BigInteger(300), _engine.ReservedUnits("a"));

        var error = await ApplyFailsAsync(tx, Transfer("a", "c", "3.00"), ErrorCodes.InsufficientFunds);
        Assert.Contains("available 2.00", error.Message);
        Assert.Equal(new BigInteger(300), _engine.ReservedUnits("a"));
        await ApplyFailsAsync(tx, Burn("a", "2.01"), ErrorCodes.InsufficientFunds);
        Assert.Equal(new BigInteger(300), _engine.ReservedUnits("a"));

        await _engine.CommitOnePhaseAsync(tx.Id, _engine.Clock.Now(), default);
        Assert.Equal(BigInteger.Zero, _engine.ReservedUnits("a"));
        Assert.Equal("2.00", await BalanceAsync("a"));
        Assert.Equal("3.00", await BalanceAsync("b"));
        Assert.Equal("0.00", await BalanceAsync("c"));
        Assert.Equal("5.00", await SupplyAsync());

        // A transaction whose only debit failed holds nothing either.
        var lone = Begin();
        await ApplyFailsAsync(lone, Burn("b", "3.01"), ErrorCodes.InsufficientFunds);
        Assert.Equal(BigInteger.Zero, _engine.ReservedUnits("b"));
        await _engine.AbortAsync(lone.Id, default);
        Assert.Equal(BigInteger.Zero, _engine.ReservedUnits("b"));
    }

    [Fact]
    public async Task Debit_FundedByTheTransactionsOwnCredit_Succeeds()
    {
        var tx = Begin();
        await Apply(tx, Mint("a", "5.00"));
        await Apply(tx, Transfer("a", "b", "3.00"));
        await Apply(tx, Burn("a", "2.00"));
        await ApplyFailsAsync(tx, Burn("a", "0.01"), ErrorCodes.InsufficientFunds);
        Assert.Equal("0.00", (await _engine.ApplyAsync(tx, Balance("a"), default)).AsString());
        Assert.Equal("3.00", (await _engine.ApplyAsync(tx, Supply(), default)).AsString());
        await _engine.CommitOnePhaseAsync(tx.Id, _engine.Clock.Now(), default);

        Assert.Equal("0.00", await BalanceAsync("a"));
        Assert.Equal("3.00", await BalanceAsync("b"));
        Assert.Equal("3.00", await SupplyAsync());
        Assert.Equal(BigInteger.Zero, _engine.ReservedUnits("a"));
    }

    [Fact]
    public async Task Debit_FundedByTheTransactionsOwnCredit_LeavesOthersTheWholeCommittedBalance()
    {
        await CommitAsync(Mint("a", "10.00"));

        // Whatever this transaction's outcome, "a" keeps its 10.00: its debit is covered by its own credit.
        var selfFunded = Begin();
        await Apply(selfFunded, Mint("a", "5.00"));
        await Apply(selfFunded, Transfer("a", "b", "5.00"));

        var other = Begin();
        await Apply(other, Transfer("a", "c", "10.00"));
        await _engine.CommitOnePhaseAsync(selfFunded.Id, _engine.Clock.Now(), default);
        await _engine.CommitOnePhaseAsync(other.Id, _engine.Clock.Now(), default);

        Assert.Equal("0.00", await BalanceAsync("a"));
        Assert.Equal("5.00", await BalanceAsync("b"));
        Assert.Equal("10.00", await BalanceAsync("c"));
        Assert.Equal("15.00", await SupplyAsync());
        Assert.Equal(BigInteger.Zero, _engine.ReservedUnits("a"));
    }

    // ---- 5. Amounts and metadata are validated, exactly -----------------------------------------

    [Theory]
    [InlineData("mint")]
    [InlineData("burn")]
    [InlineData("transfer")]
    public async Task Amount_WithMoreFractionalDigitsThanDecimals_IsRefusedNamingTheDigits(string name)
    {
        await CommitAsync(Mint("a", "10.00"));
        var tx = Begin();
        var operation = name switch
        {
            "mint" => Mint("a", "1.234"),
            "burn" => Burn("a", "1.234"),
            _ => Transfer("a", "b", "1.234"),
        };
        var error = await ApplyFailsAsync(tx, operation, ErrorCodes.BadOperation);
        Assert.Contains("\"1.234\"", error.Message);
        Assert.Contains("3 fractional digits", error.Message);
        Assert.Contains("PTS has 2", error.Message);

        // Trailing zeros beyond the scale are refused as well: amounts are never rounded, not even exactly.
        await ApplyFailsAsync(tx, Mint("a", "1.000"), ErrorCodes.BadOperation);
        Assert.Equal(BigInteger.Zero, _engine.ReservedUnits("a"));
        await _engine.CommitOnePhaseAsync(tx.Id, _engine.Clock.Now(), default);
        Assert.Equal("10.00", await BalanceAsync("a"));
    }

    [Fact]
    public async Task Amount_AsADouble_IsRefused()
    {
        await CommitAsync(Mint("a", "10.00"));
        var tx = Begin();
        var error = await ApplyFailsAsync(tx, Mint("a", Value.From(1.5)), ErrorCodes.BadOperation);
        Assert.Contains("Double", error.Message);
        Assert.Contains("floating point", error.Message);
        await ApplyFailsAsync(tx, Transfer("a", "b", Value.From(2.0)), ErrorCodes.BadOperation);

        // The same through JSON: a JSON number with a fraction is a double.
        await ApplyFailsAsync(tx, Operation.FromValue(ValueJson.Parse("{\"burn\":{\"from\":\"a\",\"amount\":1.5}}")), ErrorCodes.BadOperation);
        await _engine.CommitOnePhaseAsync(tx.Id, _engine.Clock.Now(), default);
        Assert.Equal("10.00", await BalanceAsync("a"));
        Assert.Equal("10.00", await SupplyAsync());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0.00")]
    [InlineData("0.0")]
    [InlineData("-1.00")]
    [InlineData("-0.01")]
    [InlineData("+1.00")]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("1.")]
    [InlineData(".5")]
    [InlineData("1e2")]
    [InlineData(" 1.00")]
    [InlineData("1.00 ")]
    [InlineData("1,00")]
    [InlineData("1.0.0")]
    [InlineData("١")]
    [InlineData("NaN")]
    public async Task Amount_ZeroNegativeOrMalformed_IsRefusedAndChangesNothing(string amount)
    {
        await CommitAsync(Mint("a", "10.00"));
        var tx = Begin();
        foreach (var operation in new[] { Mint("a", amount), Burn("a", amount), Transfer("a", "b", amount) })
        {
            var error = await ApplyFailsAsync(tx, operation, ErrorCodes.BadOperation);
            Assert.Contains("amount", error.Message);
        }

        Assert.Equal(BigInteger.Zero, _engine.ReservedUnits("a"));
        await _engine.CommitOnePhaseAsync(tx.Id, _engine.Clock.Now(), default);
        Assert.Equal("10.00", await BalanceAsync("a"));
        Assert.Equal("0.00", await BalanceAsync("b"));
        Assert.Equal("10.00", await SupplyAsync());
    }

    [Fact]
    public async Task Amount_AsNonPositiveIntegerOrMissing_IsRefused_AndAPositiveIntegerIsExact()
    {
        var tx = Begin();
        await ApplyFailsAsync(tx, Mint("a", Value.From(0L)), ErrorCodes.BadOperation);
        await ApplyFailsAsync(tx, Mint("a", Value.From(-3L)), ErrorCodes.BadOperation);
        await ApplyFailsAsync(tx, Mint("a", Value.Null), ErrorCodes.BadOperation);
        await ApplyFailsAsync(tx, Mint("a", Value.True), ErrorCodes.BadOperation);
        await ApplyFailsAsync(tx, Operation.Create("mint", ("to", "a")), ErrorCodes.BadOperation);
        await Apply(tx, Mint("a", Value.From(3L)));
        await Apply(tx, Mint("a", Value.From(1.25m)));
        await _engine.CommitOnePhaseAsync(tx.Id, _engine.Clock.Now(), default);
        Assert.Equal("4.25", await BalanceAsync("a"));
    }

    [Fact]
    public async Task Operations_WithBadAccounts_AreRefused()
    {
        var tx = Begin();
        await ApplyFailsAsync(tx, Mint("", "1.00"), ErrorCodes.BadOperation);
        await ApplyFailsAsync(tx, Mint(new string('x', 257), "1.00"), ErrorCodes.BadOperation);
        await ApplyFailsAsync(tx, Operation.Create("mint", ("to", 5), ("amount", "1.00")), ErrorCodes.BadOperation);
        await ApplyFailsAsync(tx, Transfer("a", "a", "1.00"), ErrorCodes.BadOperation);
        await ApplyFailsAsync(tx, Operation.Create("balance"), ErrorCodes.BadOperation);
        await ApplyFailsAsync(tx, Operation.Create("mint_all", ("to", "a")), ErrorCodes.UnknownOperation);
        await Apply(tx, Mint(new string('x', 256), "1.00"));
        await _engine.CommitOnePhaseAsync(tx.Id, _engine.Clock.Now(), default);
        Assert.Equal("1.00", await SupplyAsync());
    }

    [Fact]
    public async Task Operations_BeforeInitialize_AreRefusedAsNotInitialized()
    {
        await UseFreshEngineAsync();
        var tx = Begin();
        var operations = new[]
        {
            Mint("a", "1.00"), Burn("a", "1.00"), Transfer("a", "b", "1.00"), Balance("a"), Supply(),
            Operation.Create("metadata"), Operation.Create("metadata", ("field", "symbol")),
            Operation.Create("update_metadata", ("name", "Points")),
        };
        foreach (var operation in operations)
        {
            var error = await ApplyFailsAsync(tx, operation, ErrorCodes.BadOperation);
            Assert.Contains("not initialized", error.Message);
        }

        foreach (var operation in new[] { Balance("a"), Supply(), Operation.Create("metadata") })
        {
            var error = await Assert.ThrowsAsync<CohortException>(async () => await _engine.ReadAsync(_engine.Clock.Now(), operation, default));
            Assert.Equal(ErrorCodes.BadOperation, error.Code);
            Assert.Contains("not initialized", error.Message);
        }

        // The refusals left nothing behind: the same transaction can still initialize.
        await Apply(tx, Initialize("PTS", 2));
        await Apply(tx, Mint("a", "1.00"));
        await _engine.CommitOnePhaseAsync(tx.Id, _engine.Clock.Now(), default);
        Assert.Equal("1.00", await BalanceAsync("a"));
    }

    [Fact]
    public async Task Initialize_Twice_IsRefused_InTheSameAndInALaterTransaction()
    {
        var later = Begin();
        var error = await ApplyFailsAsync(later, Initialize("OTHER", 4), ErrorCodes.BadOperation);
        Assert.Contains("already initialized", error.Message);
        await _engine.CommitOnePhaseAsync(later.Id, _engine.Clock.Now(), default);

        await UseFreshEngineAsync();
        var same = Begin();
        await Apply(same, Initialize("PTS", 2));
        error = await ApplyFailsAsync(same, Initialize("PTS", 2), ErrorCodes.BadOperation);
        Assert.Contains("already initialized", error.Message);
        await _engine.CommitOnePhaseAsync(same.Id, _engine.Clock.Now(), default);
        Assert.Equal(Value.From("PTS"), await ReadAsync(Operation.Create("metadata", ("field", "symbol"))));
        Assert.Equal(Value.From(2L), await ReadAsync(Operation.Create("metadata", ("field", "decimals"))));
    }

    [Fact]
    public async Task Initialize_ConcurrentlyTwice_OnlyTheFirstToCommitWins()
    {
        await UseFreshEngineAsync();
        var first = Begin();
        var second = Begin();
        await Apply(first, Initialize("ONE", 2));

        // The younger initializer waits for the older one's metadata lock, then finds it initialized.
        var waiting = _engine.ApplyAsync(second, Initialize("TWO", 3), default).AsTask();
        Assert.False(waiting.IsCompleted);
        await _engine.CommitOnePhaseAsync(first.Id, _engine.Clock.Now(), default);
        var error = await Assert.ThrowsAsync<CohortException>(() => waiting.WaitAsync(LongWait));
        Assert.Equal(ErrorCodes.BadOperation, error.Code);
        Assert.Contains("already initialized", error.Message);
        await _engine.AbortAsync(second.Id, default);

        Assert.Equal(Value.From("ONE"), await ReadAsync(Operation.Create("metadata", ("field", "symbol"))));
        Assert.Equal(Value.From(2L), await ReadAsync(Operation.Create("metadata", ("field", "decimals"))));
    }

    [Theory]
    [InlineData(19)]
    [InlineData(-1)]
    [InlineData(1000)]
    public async Task Initialize_WithDecimalsOutOfRange_IsRefused(int decimals)
    {
        await UseFreshEngineAsync();
        var tx = Begin();
        var error = await ApplyFailsAsync(tx, Initialize("PTS", decimals), ErrorCodes.BadOperation);
        Assert.Contains("between 0 and 18", error.Message);
        await ApplyFailsAsync(tx, Operation.Create("initialize", ("symbol", "PTS"), ("decimals", "2")), ErrorCodes.BadOperation);
        await ApplyFailsAsync(tx, Operation.Create("initialize", ("decimals", 2)), ErrorCodes.BadOperation);
        await ApplyFailsAsync(tx, Operation.Create("initialize", ("symbol", 7), ("decimals", 2)), ErrorCodes.BadOperation);
        await _engine.AbortAsync(tx.Id, default);
        await ApplyFailsAsync(Begin(), Mint("a", "1"), ErrorCodes.BadOperation);
    }

    [Fact]
    public async Task UpdateMetadata_OfDecimals_IsRefused_AndOtherFieldsCanChange()
    {
        var tx = Begin();
        var error = await ApplyFailsAsync(tx, Operation.Create("update_metadata", ("decimals", 4)), ErrorCodes.BadOperation);
        Assert.Contains("decimals", error.Message);
        await ApplyFailsAsync(tx, Operation.Create("update_metadata", ("symbol", 5)), ErrorCodes.BadOperation);
        var updated = await _engine.ApplyAsync(tx, Operation.Create("update_metadata", ("name", "Loyalty points"), ("symbol", "LP")), default);
        Assert.Equal(Value.From("LP"), updated.AsMap()["symbol"]);
        await _engine.CommitOnePhaseAsync(tx.Id, _engine.Clock.Now(), default);

        var metadata = await ReadAsync(Operation.Create("metadata"));
        Assert.Equal(Value.From("LP"), metadata.AsMap()["symbol"]);
        Assert.Equal(Value.From(2L), metadata.AsMap()["decimals"]);
        Assert.Equal(Value.From("Loyalty points"), metadata.AsMap()["name"]);
        await CommitAsync(Mint("a", "1.25"));
        Assert.Equal("1.25", await BalanceAsync("a"));
    }

    [Theory]
    [InlineData("decimals", 4)]
    [InlineData("symbol", 5)]
    public async Task UpdateMetadata_RefusedForOneField_ChangesNoOtherField(string refused, int value)
    {
        // "color" sorts before both refused fields, so it is reached first.
        var tx = Begin();
        await ApplyFailsAsync(tx, Operation.Create("update_metadata", ("color", "gold"), (refused, value)), ErrorCodes.BadOperation);

        // The transaction survives the bad operation, which left no trace in it.
        Assert.True((await _engine.ApplyAsync(tx, Operation.Create("metadata", ("field", "color")), default)).IsNull, "the refused update_metadata wrote 'color' in its transaction");
        await _engine.CommitOnePhaseAsync(tx.Id, _engine.Clock.Now(), default);
        Assert.True((await ReadAsync(Operation.Create("metadata", ("field", "color")))).IsNull, "the refused update_metadata committed 'color'");
    }

    [Fact]
    public async Task EighteenDecimals_KeepHugeAmountsExact_AcrossRestart()
    {
        await UseFreshEngineAsync();
        const string Huge = "123456789012345678.123456789012345678";
        await CommitAsync(Initialize("WEI", 18));
        await CommitAsync(Mint("a", Huge));
        Assert.Equal(Huge, await BalanceAsync("a"));
        Assert.Equal(Huge, await SupplyAsync());

        await CommitAsync(Transfer("a", "b", "0.000000000000000001"));
        Assert.Equal("123456789012345678.123456789012345677", await BalanceAsync("a"));
        Assert.Equal("0.000000000000000001", await BalanceAsync("b"));
        await CommitAsync(Mint("a", "999999999999999999.999999999999999999"));
        await ApplyFailsAsync(Begin(), Mint("a", "1.0000000000000000001"), ErrorCodes.BadOperation);

        await ReopenAsync();
        Assert.Equal("1123456789012345678.123456789012345676", await BalanceAsync("a"));
        Assert.Equal("0.000000000000000001", await BalanceAsync("b"));
        Assert.Equal("1123456789012345678.123456789012345677", await SupplyAsync());
    }

    [Fact]
    public async Task ZeroDecimals_AcceptOnlyWholeAmounts()
    {
        await UseFreshEngineAsync();
        await CommitAsync(Initialize("SEAT", 0));
        await ApplyFailsAsync(Begin(), Mint("a", "5.0"), ErrorCodes.BadOperation);
        await CommitAsync(Mint("a", "5"));
        await CommitAsync(Burn("a", Value.From(2L)));
        Assert.Equal("3", await BalanceAsync("a"));
        Assert.Equal("3", await SupplyAsync());
    }

    [Fact]
    public async Task Metadata_ReturnsTheInitializedFields()
    {
        await UseFreshEngineAsync();
        await CommitAsync(Operation.Create("initialize", ("symbol", "PTS"), ("decimals", 2), ("name", "Points")));
        var all = await ReadAsync(Operation.Create("metadata"));
        Assert.Equal(Value.From("PTS"), all.AsMap()["symbol"]);
        Assert.Equal(Value.From(2L), all.AsMap()["decimals"]);
        Assert.Equal(Value.From("Points"), all.AsMap()["name"]);
        Assert.Equal(Value.From("Points"), await ReadAsync(Operation.Create("metadata", ("field", "name"))));
        Assert.True((await ReadAsync(Operation.Create("metadata", ("field", "missing")))).IsNull);
        var tx = Begin();
        Assert.Equal(Value.From("Points"), await _engine.ApplyAsync(tx, Operation.Create("metadata", ("field", "name")), default));
        Assert.Equal(VoteKind.ReadOnly, (await _engine.PrepareAsync(tx.Id, new PrepareInfo(null), default)).Kind);
    }

    // ---- 6. Snapshot reads ------------------------------------------------------------------------

    [Fact]
    public async Task SnapshotRead_AtAnEarlierTimestamp_ShowsTheEarlierAmounts()
    {
        await CommitAsync(Mint("a", "10.00"));
        var first = _engine.Clock.Now();
        await CommitAsync(Mint("a", "5.00"));
        var second = _engine.Clock.Now();
        await CommitAsync(Transfer("a", "b", "3.00"), Burn("b", "1.00"));
        var third = _engine.Clock.Now();

        Assert.Equal("10.00", await BalanceAsync("a", first));
        Assert.Equal("0.00", await BalanceAsync("b", first));
        Assert.Equal("10.00", await SupplyAsync(first));
        Assert.Equal("15.00", await BalanceAsync("a", second));
        Assert.Equal("15.00", await SupplyAsync(second));
        Assert.Equal("12.00", await BalanceAsync("a", third));
        Assert.Equal("2.00", await BalanceAsync("b", third));
        Assert.Equal("14.00", await SupplyAsync(third));

        // The past survives a restart too (within the retention window).
        await ReopenAsync();
        Assert.Equal("10.00", await BalanceAsync("a", first));
        Assert.Equal("15.00", await SupplyAsync(second));
        Assert.Equal("2.00", await BalanceAsync("b", third));
    }

    [Fact]
    public async Task SnapshotRead_BeforeInitialize_IsRefusedAsNotInitialized()
    {
        await UseFreshEngineAsync();
        var before = _engine.Clock.Now();
        await CommitAsync(Initialize("PTS", 2), Mint("a", "1.00"));
        var error = await Assert.ThrowsAsync<CohortException>(async () => await _engine.ReadAsync(before, Balance("a"), default));
        Assert.Contains("not initialized", error.Message);
        Assert.Equal("1.00", await BalanceAsync("a"));
    }

    [Fact]
    public async Task SnapshotRead_DoesNotSeeUncommittedCredits()
    {
        await CommitAsync(Mint("a", "1.00"));
        var before = _engine.Clock.Now();
        var tx = Begin();
        await Apply(tx, Mint("a", "7.00"));
        await Apply(tx, Mint("b", "2.00"));

        // The transaction sees its own credit; nobody else does.
        Assert.Equal("8.00", (await _engine.ApplyAsync(tx, Balance("a"), default)).AsString());
        Assert.Equal("1.00", await BalanceAsync("a"));
        Assert.Equal("0.00", await BalanceAsync("b"));
        Assert.Equal("1.00", await SupplyAsync());
        var other = Begin();
        Assert.Equal("1.00", (await _engine.ApplyAsync(other, Balance("a"), default)).AsString());
        await _engine.AbortAsync(other.Id, default);

        var vote = await _engine.PrepareAsync(tx.Id, new PrepareInfo(null), default);
        Assert.Equal(VoteKind.Yes, vote.Kind);

        // Prepared: a read before the prepare timestamp answers at once without the credit…
        Assert.Equal("1.00", await BalanceAsync("a", before));

        // …and one after it waits for the decision, so it can never miss a commit at or before it.
        var pending = _engine.ReadAsync(_engine.Clock.Now(), Balance("a"), default).AsTask();
        Assert.False(pending.IsCompleted);
        await _engine.CommitAsync(tx.Id, vote.PrepareTimestamp, default);
        Assert.Equal("8.00", (await pending.WaitAsync(LongWait)).AsString());
        Assert.Equal("1.00", await BalanceAsync("a", before));
        Assert.Equal("10.00", await SupplyAsync());
    }

    [Fact]
    public async Task SnapshotRead_OfAWrite_IsRefused()
    {
        foreach (var operation in new[] { Mint("a", "1.00"), Burn("a", "1.00"), Transfer("a", "b", "1.00"), Initialize("X", 1), Operation.Create("update_metadata", ("name", "x")) })
        {
            var error = await Assert.ThrowsAsync<CohortException>(async () => await ReadAsync(operation));
            Assert.Equal(ErrorCodes.BadOperation, error.Code);
        }
    }

    // ---- Issue 17: amounts, balances and the supply stay within a decimal ---------------------------

    private const string MaxAt2 = "79228162514264337593543950335.00";

    [Theory]
    [InlineData("79228162514264337593543950335.01")]
    [InlineData("79228162514264337593543950336")]
    [InlineData("10000000000000000000000000000000000000000")]
    [InlineData("99999999999999999999999999999999999999999999999999999999999999999999999999999999.00")]
    public async Task Amount_AboveTheMaximum_IsRefusedNamingTheMaximum_AndChangesNothing(string amount)
    {
        await CommitAsync(Mint("a", "10.00"));
        var tx = Begin();
        foreach (var operation in new[] { Mint("a", amount), Burn("a", amount), Transfer("a", "b", amount) })
        {
            var error = await ApplyFailsAsync(tx, operation, ErrorCodes.BadOperation);
            Assert.Contains("largest amount, " + MaxAt2, error.Message);
        }

        await _engine.CommitOnePhaseAsync(tx.Id, _engine.Clock.Now(), default);
        Assert.Equal("10.00", await SupplyAsync());
        Assert.Equal(BigInteger.Zero, _engine.ReservedUnits("a"));
    }

    [Fact]
    public async Task Supply_UpToTheMaximum_IsMintedAndReadsAsAnExactDecimal_ButNotBeyond()
    {
        await CommitAsync(Mint("a", "79228162514264337593543950000.00"));
        await CommitAsync(Mint("b", "335"));
        Assert.Equal(MaxAt2, await SupplyAsync());
        Assert.Equal(decimal.MaxValue, decimal.Parse(await SupplyAsync(), CultureInfo.InvariantCulture));

        // Each mint is within the maximum; the supply it would make is not.
        var error = await ApplyFailsAsync(Begin(), Mint("c", "0.01"), ErrorCodes.BadOperation);
        Assert.Contains("total supply", error.Message);

        // Burning makes room again.
        await CommitAsync(Burn("a", "1.00"));
        await CommitAsync(Mint("c", "1.00"));
        Assert.Equal(MaxAt2, await SupplyAsync());
    }

    [Fact]
    public async Task Mints_OfOpenTransactions_CountAgainstTheMaximum_UntilTheyEnd_AndAfterARestart()
    {
        var first = Begin();
        await Apply(first, Mint("a", "50000000000000000000000000000.00"));
        var second = Begin();
        await ApplyFailsAsync(second, Mint("b", "30000000000000000000000000000.00"), ErrorCodes.BadOperation);
        await _engine.AbortAsync(first.Id, default);
        await Apply(second, Mint("b", "30000000000000000000000000000.00"));
        Assert.Equal(BigInteger.Parse("3000000000000000000000000000000", CultureInfo.InvariantCulture), _engine.ReservedUnits(string.Empty));

        // A prepared mint keeps its room across a restart; its commit releases it.
        var vote = await _engine.PrepareAsync(second.Id, new PrepareInfo(null), default);
        await ReopenAsync();
        await ApplyFailsAsync(Begin(), Mint("c", "50000000000000000000000000000.00"), ErrorCodes.BadOperation);
        await _engine.CommitAsync(second.Id, Max(vote.PrepareTimestamp, _engine.Clock.Now()), default);
        Assert.Equal(BigInteger.Zero, _engine.ReservedUnits(string.Empty));
        Assert.Equal("30000000000000000000000000000.00", await SupplyAsync());
        await ApplyFailsAsync(Begin(), Mint("c", "50000000000000000000000000000.00"), ErrorCodes.BadOperation);
        await CommitAsync(Mint("c", "40000000000000000000000000000.00"));
    }

    // ---- helpers ----------------------------------------------------------------------------------

    private static ResourceEngine Open(string directory) =>
        ResourceEngine.Open(Resource, new EngineOptions { DataDirectory = directory });

    private async Task ReopenAsync()
    {
        await _engine.DisposeAsync();
        _engine = Open(_engineDirectory);
    }

    private async Task UseFreshEngineAsync()
    {
        await _engine.DisposeAsync();
        _engineDirectory = Path.Combine(_directory.Path, "fresh-" + Guid.NewGuid().ToString("N"));
        _engine = Open(_engineDirectory);
    }

    private static TransactionContext Begin() => new(TxId.NewId(), DateTimeOffset.UtcNow.AddMinutes(2));

    private async Task Apply(TransactionContext tx, Operation operation) => await _engine.ApplyAsync(tx, operation, default);

    private async Task<CohortException> ApplyFailsAsync(TransactionContext tx, Operation operation, string code)
    {
        var error = await Assert.ThrowsAsync<CohortException>(async () => await _engine.ApplyAsync(tx, operation, default));
        Assert.True(error.Code == code, $"{operation} failed with {error.Code} ({error.Message}), expected {code}");
        return error;
    }

    private async Task CommitAsync(params Operation[] operations)
    {
        var tx = Begin();
        foreach (var operation in operations)
        {
            await _engine.ApplyAsync(tx, operation, default);
        }

        await _engine.CommitOnePhaseAsync(tx.Id, _engine.Clock.Now(), default);
    }

    private async Task<Value> ReadAsync(Operation operation, HlcTimestamp? at = null) =>
        await _engine.ReadAsync(at ?? _engine.Clock.Now(), operation, default);

    private async Task<string> BalanceAsync(string account, HlcTimestamp? at = null) => (await ReadAsync(Balance(account), at)).AsString();

    private async Task<string> SupplyAsync(HlcTimestamp? at = null) => (await ReadAsync(Supply(), at)).AsString();

    private async Task<(string[] Balances, string Supply)> ReadAllAsync(string[] accounts, HlcTimestamp at)
    {
        var balances = new string[accounts.Length];
        for (var i = 0; i < accounts.Length; i++)
        {
            balances[i] = await BalanceAsync(accounts[i], at);
        }

        return (balances, await SupplyAsync(at));
    }

    private static void AssertInvariant((string[] Balances, string Supply) state, string[] accounts, string context)
    {
        for (var i = 0; i < accounts.Length; i++)
        {
            Assert.True(Cents(state.Balances[i]) >= 0, $"{context}: {accounts[i]} is negative ({state.Balances[i]})");
        }

        var sum = state.Balances.Sum(Cents);
        Assert.True(sum == Cents(state.Supply), $"{context}: supply {state.Supply} but balances [{string.Join(", ", state.Balances)}] add up to {FormatCents(sum)}");
    }

    private static long Cents(string amount) => (long)(decimal.Parse(amount, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture) * 100);

    private static string FormatCents(long cents) => (cents / 100m).ToString("0.00", CultureInfo.InvariantCulture);

    private static HlcTimestamp Max(HlcTimestamp a, HlcTimestamp b) => a > b ? a : b;

    private static Operation Initialize(string symbol, int decimals) => Operation.Create("initialize", ("symbol", symbol), ("decimals", decimals));

    private static Operation Mint(string to, Value amount) => Operation.Create("mint", ("to", to), ("amount", amount));

    private static Operation Burn(string from, Value amount) => Operation.Create("burn", ("from", from), ("amount", amount));

    private static Operation Transfer(string from, string to, Value amount) => Operation.Create("transfer", ("from", from), ("to", to), ("amount", amount));

    private static Operation Balance(string account) => Operation.Create("balance", ("account", account));

    private static Operation Supply() => Operation.Create("supply");
}
