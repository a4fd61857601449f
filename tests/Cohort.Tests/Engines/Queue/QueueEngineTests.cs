using Cohort.Engines;
using Cohort.Engines.Queue;

namespace Cohort.Tests.Engines.Queue;

/// <summary>Queue semantics and the concurrency bugs of the Rust seed, proven absent.</summary>
public sealed class QueueEngineTests : IAsyncLifetime
{
    private static readonly TimeSpan LongWait = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _directory = new();
    private QueueEngine _engine = null!;

    public Task InitializeAsync()
    {
        _engine = QueueEngine.Open("queue:test", new EngineOptions { DataDirectory = _directory.Path });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task Dequeue_ReturnsItemsInFifoOrder_AndNullWhenEmpty()
    {
        await EnqueueAsync("q", "a", "b", "c");
        Assert.Equal(Value.From("a"), await DequeueAsync("q"));
        Assert.Equal(Value.From("b"), await DequeueAsync("q"));
        Assert.Equal(Value.From("c"), await DequeueAsync("q"));
        Assert.True((await DequeueAsync("q")).IsNull);
    }

    [Fact]
    public async Task Queues_InOneResource_AreIndependent()
    {
        await EnqueueAsync("q1", "x");
        await EnqueueAsync("q2", "y");
        Assert.Equal(Value.From(1), await SnapshotAsync("size", "q1"));
        Assert.Equal(Value.From("y"), await DequeueAsync("q2"));
        Assert.Equal(Value.From("x"), await SnapshotAsync("peek", "q1"));
        Assert.Equal(Value.True, await SnapshotAsync("is_empty", "q2"));
    }

    [Fact]
    public async Task CommitOrder_IsFifoOrder_EvenWhenTransactionsBeganInTheOppositeOrder()
    {
        var first = Begin();
        var second = Begin();
        await _engine.ApplyAsync(first, Enqueue("q", "began-first"), default);
        await _engine.ApplyAsync(second, Enqueue("q", "began-second"), default);

        await _engine.CommitOnePhaseAsync(second.Id, _engine.Clock.Now(), default);
        await _engine.CommitOnePhaseAsync(first.Id, _engine.Clock.Now(), default);

        Assert.Equal(Value.From("began-second"), await DequeueAsync("q"));
        Assert.Equal(Value.From("began-first"), await DequeueAsync("q"));
    }

    [Fact]
    public async Task TwentyConcurrentEnqueuers_DoNotWaitOnEachOther()
    {
        var transactions = Enumerable.Range(0, 20).Select(_ => Begin()).ToList();

        // Every enqueue completes while all twenty transactions are still open: none waits for another.
        var enqueues = transactions.Select((tx, i) => Task.Run(async () => await _engine.ApplyAsync(tx, Enqueue("q", i), default)));
        await Task.WhenAll(enqueues).WaitAsync(LongWait);
        Assert.Equal(20, _engine.ActiveTransactionCount);

        await Task.WhenAll(transactions.Select(tx => _engine.CommitOnePhaseAsync(tx.Id, _engine.Clock.Now(), default).AsTask())).WaitAsync(LongWait);
        Assert.Equal(Value.From(20), await SnapshotAsync("size", "q"));
        var drained = new HashSet<long>();
        for (var i = 0; i < 20; i++)
        {
            drained.Add((await DequeueAsync("q")).AsInt64());
        }

        Assert.Equal(20, drained.Count);
    }

    [Fact]
    public async Task AbortedDequeue_PutsTheItemBackAtTheHead()
    {
        await EnqueueAsync("q", "x", "y");
        var tx = Begin();
        Assert.Equal(Value.From("x"), await _engine.ApplyAsync(tx, Dequeue("q"), default));
        await _engine.AbortAsync(tx.Id, default);

        Assert.Equal(Value.From("x"), await SnapshotAsync("peek", "q"));
        Assert.Equal(Value.From("x"), await DequeueAsync("q"));
    }

    [Fact]
    public async Task AbortedPreparedDequeue_PutsTheItemBackAtTheHead()
    {
        await EnqueueAsync("q", "x", "y");
        var tx = Begin();
        Assert.Equal(Value.From("x"), await _engine.ApplyAsync(tx, Dequeue("q"), default));
        Assert.Equal(VoteKind.Yes, (await _engine.PrepareAsync(tx.Id, new PrepareInfo(null), default)).Kind);
        await _engine.AbortAsync(tx.Id, default);
        Assert.Equal(Value.From("x"), await DequeueAsync("q"));
    }

    [Fact]
    public async Task ConcurrentPeekThenDequeue_NeverDeliversOneItemToTwoCommittedTransactions()
    {
        const int Items = 60;
        await EnqueueAsync("q", [.. Enumerable.Range(0, Items).Select(i => (Value)i)]);
        var delivered = new List<long>();
        var gate = new Lock();
        var consumers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var attempt = 0; attempt < 2000; attempt++)
            {
                var tx = Begin();
                try
                {
                    // Yields let other consumers run between every step, so peeks and dequeues interleave.
                    var peeked = await _engine.ApplyAsync(tx, Operation.Create("peek", ("queue", "q")), default);
                    await Task.Yield();
                    var taken = await _engine.ApplyAsync(tx, Dequeue("q"), default);
                    await Task.Yield();
                    if (taken.IsNull)
                    {
                        await _engine.AbortAsync(tx.Id, default);
                        return;
                    }

                    Assert.Equal(peeked, taken); // the head cannot move between peek and dequeue
                    // An older consumer may wound this one between its dequeue and its prepare: then the
                    // vote is No, the item stays, and the consumer retries like any client would.
                    var vote = await _engine.PrepareAsync(tx.Id, new PrepareInfo(null), default);
                    if (vote.Kind == VoteKind.No)
                    {
                        await _engine.AbortAsync(tx.Id, default);
                        continue;
                    }

                    await _engine.CommitAsync(tx.Id, Max(vote.PrepareTimestamp, _engine.Clock.Now()), default);
                    lock (gate)
                    {
                        delivered.Add(taken.AsInt64());
                    }
                }
                catch (CohortException e) when (e.IsTransient)
                {
                    await _engine.AbortAsync(tx.Id, default);
                }
            }
        }));
        await Task.WhenAll(consumers).WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(delivered.Count, delivered.Distinct().Count());
        Assert.Equal(Enumerable.Range(0, Items).Select(i => (long)i), delivered.Order());
    }

    [Fact]
    public async Task TwoTransactionsThatBothPeekedTheHead_CannotBothDequeueIt()
    {
        await EnqueueAsync("q", "only");
        var older = Begin();
        var younger = Begin();
        Assert.Equal(Value.From("only"), await _engine.ApplyAsync(older, Operation.Create("peek", ("queue", "q")), default));
        Assert.Equal(Value.From("only"), await _engine.ApplyAsync(younger, Operation.Create("peek", ("queue", "q")), default));

        // The older one's dequeue wounds the younger peeker; the younger can no longer take the item.
        Assert.Equal(Value.From("only"), await _engine.ApplyAsync(older, Dequeue("q"), default).AsTask().WaitAsync(LongWait));
        var error = await Assert.ThrowsAsync<CohortException>(async () => await _engine.ApplyAsync(younger, Dequeue("q"), default));
        Assert.Equal(ErrorCodes.Wounded, error.Code);
        await _engine.CommitOnePhaseAsync(older.Id, _engine.Clock.Now(), default);
        Assert.True((await SnapshotAsync("peek", "q")).IsNull);
    }

    [Fact]
    public async Task SnapshotSizeAndPeek_IgnoreUncommittedWork()
    {
        await EnqueueAsync("q", "committed");
        var tx = Begin();
        await _engine.ApplyAsync(tx, Enqueue("q", "pending"), default);
        await _engine.ApplyAsync(tx, Dequeue("q"), default);

        Assert.Equal(Value.From(1), await SnapshotAsync("size", "q"));
        Assert.Equal(Value.From("committed"), await SnapshotAsync("peek", "q"));

        // The transaction itself sees its own work.
        Assert.Equal(Value.From(1), await _engine.ApplyAsync(tx, Operation.Create("size", ("queue", "q")), default));
        Assert.Equal(Value.From("pending"), await _engine.ApplyAsync(tx, Operation.Create("peek", ("queue", "q")), default));
        await _engine.CommitOnePhaseAsync(tx.Id, _engine.Clock.Now(), default);
        Assert.Equal(Value.From("pending"), await SnapshotAsync("peek", "q"));
    }

    [Fact]
    public async Task SnapshotPeek_AtAnEarlierTime_SeesTheQueueAsItWas()
    {
        await EnqueueAsync("q", "a");
        var before = _engine.Clock.Now();
        await DequeueAsync("q");
        await EnqueueAsync("q", "b");

        Assert.Equal(Value.From("a"), await _engine.ReadAsync(before, Operation.Create("peek", ("queue", "q")), default));
        Assert.Equal(Value.From(1), await _engine.ReadAsync(before, Operation.Create("size", ("queue", "q")), default));
        Assert.Equal(Value.From("b"), await SnapshotAsync("peek", "q"));
    }

    [Fact]
    public async Task Dequeue_WaitsForAPreparedEnqueueThatCouldLandAhead()
    {
        var enqueuer = Begin();
        await _engine.ApplyAsync(enqueuer, Enqueue("q", "prepared"), default);
        var vote = await _engine.PrepareAsync(enqueuer.Id, new PrepareInfo(null), default);

        var consumer = Begin();
        var dequeue = _engine.ApplyAsync(consumer, Dequeue("q"), default).AsTask();
        var winner = await Task.WhenAny(dequeue, Task.Delay(200));
        Assert.NotSame(dequeue, winner);

        await _engine.CommitAsync(enqueuer.Id, vote.PrepareTimestamp, default);
        Assert.Equal(Value.From("prepared"), await dequeue.WaitAsync(LongWait));
        await _engine.CommitOnePhaseAsync(consumer.Id, _engine.Clock.Now(), default);
    }

    [Fact]
    public async Task Clear_RemovesCommittedAndOwnItems_ButKeepsLaterEnqueues()
    {
        await EnqueueAsync("q", 1, 2, 3);
        var tx = Begin();
        await _engine.ApplyAsync(tx, Enqueue("q", 4), default);
        Assert.Equal(Value.From(4), await _engine.ApplyAsync(tx, Operation.Create("clear", ("queue", "q")), default));
        await _engine.CommitOnePhaseAsync(tx.Id, _engine.Clock.Now(), default);
        Assert.Equal(Value.From(0), await SnapshotAsync("size", "q"));

        await EnqueueAsync("q", 5);
        Assert.Equal(Value.From(5), await DequeueAsync("q"));
    }

    [Fact]
    public async Task Queue_SurvivesRestartAndSnapshot()
    {
        await EnqueueAsync("q", "a", "b", "c");
        await DequeueAsync("q");
        await _engine.SnapshotAsync(default);
        await EnqueueAsync("q", "d");
        await _engine.DisposeAsync();

        _engine = QueueEngine.Open("queue:test", new EngineOptions { DataDirectory = _directory.Path });
        Assert.Equal(Value.From(3), await SnapshotAsync("size", "q"));
        Assert.Equal(Value.From("b"), await DequeueAsync("q"));
        Assert.Equal(Value.From("c"), await DequeueAsync("q"));
        Assert.Equal(Value.From("d"), await DequeueAsync("q"));
    }

    [Theory]
    [InlineData("{\"enqueue\":{\"value\":1}}", ErrorCodes.BadOperation)]
    [InlineData("{\"enqueue\":{\"queue\":\"q\"}}", ErrorCodes.BadOperation)]
    [InlineData("{\"dequeue\":{\"queue\":\"\"}}", ErrorCodes.BadOperation)]
    [InlineData("{\"dequeue\":{\"queue\":5}}", ErrorCodes.BadOperation)]
    [InlineData("{\"pop\":{\"queue\":\"q\"}}", ErrorCodes.UnknownOperation)]
    public async Task BadOperation_IsRefusedAndChangesNothing(string json, string code)
    {
        await EnqueueAsync("q", "kept");
        var tx = Begin();
        var error = await Assert.ThrowsAsync<CohortException>(async () => await _engine.ApplyAsync(tx, Operation.FromValue(ValueJson.Parse(json)), default));
        Assert.Equal(code, error.Code);
        await _engine.CommitOnePhaseAsync(tx.Id, _engine.Clock.Now(), default);
        Assert.Equal(Value.From(1), await SnapshotAsync("size", "q"));
    }

    private static HlcTimestamp Max(HlcTimestamp a, HlcTimestamp b) => a > b ? a : b;

    private static TransactionContext Begin() => new(TxId.NewId(), DateTimeOffset.UtcNow.AddSeconds(30));

    private static Operation Enqueue(string queue, Value value) => Operation.Create("enqueue", ("queue", queue), ("value", value));

    private static Operation Dequeue(string queue) => Operation.Create("dequeue", ("queue", queue));

    private async Task EnqueueAsync(string queue, params Value[] values)
    {
        var tx = Begin();
        foreach (var value in values)
        {
            await _engine.ApplyAsync(tx, Enqueue(queue, value), default);
        }

        await _engine.CommitOnePhaseAsync(tx.Id, _engine.Clock.Now(), default);
    }

    private async Task<Value> DequeueAsync(string queue)
    {
        var tx = Begin();
        var value = await _engine.ApplyAsync(tx, Dequeue(queue), default);
        await _engine.CommitOnePhaseAsync(tx.Id, _engine.Clock.Now(), default);
        return value;
    }

    private async Task<Value> SnapshotAsync(string operation, string queue) =>
        await _engine.ReadAsync(_engine.Clock.Now(), Operation.Create(operation, ("queue", queue)), default);
}
