using Cohort.Coordination;
using Cohort.Protocol;
using Cohort.Tests.TestSupport;

namespace Cohort.Tests.Coordination;

/// <summary>Issue 22, a coordinator transaction's timeline: each state change with the coordinator's clock, kept when it finishes.</summary>
public sealed class TransactionTimelineTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Timeline_RecordsEveryStateChange_WithTheCoordinatorsClock_AndSurvivesFinishing()
    {
        var time = new FakeTimeProvider(Start);
        var tx = new CoordinatorTransaction(TxId.NewId(time), "label", Start.AddSeconds(30), time);
        lock (tx.Sync)
        {
            time.Advance(TimeSpan.FromMilliseconds(5));
            tx.TransitionTo(TransactionState.Preparing);
            time.Advance(TimeSpan.FromMilliseconds(7));
            tx.TransitionTo(TransactionState.InDoubt);
            time.Advance(TimeSpan.FromMilliseconds(11));
            tx.TransitionTo(TransactionState.Committing);
            time.Advance(TimeSpan.FromMilliseconds(13));
            tx.TransitionTo(TransactionState.Committed);
        }

        TransactionStateChange[] expected =
        [
            new(TransactionState.Active, Start),
            new(TransactionState.Preparing, Start.AddMilliseconds(5)),
            new(TransactionState.InDoubt, Start.AddMilliseconds(12)),
            new(TransactionState.Committing, Start.AddMilliseconds(23)),
            new(TransactionState.Committed, Start.AddMilliseconds(36)),
        ];
        Assert.Equal(expected, tx.ToStatus().Timeline);
        Assert.Equal(expected, FinishedTransaction.Of(tx).ToStatus(tx.Id).Timeline);
    }

    [Fact]
    public void Timeline_Recovered_StartsCommitting()
    {
        var time = new FakeTimeProvider(Start);
        var tx = new CoordinatorTransaction(TxId.NewId(time), null, Start, TransactionState.Committing, time);

        Assert.Equal([new TransactionStateChange(TransactionState.Committing, Start)], tx.ToStatus().Timeline);
    }

    [Fact]
    public void Timeline_BeyondCapacity_KeepsTheLatestStepLast()
    {
        var timeline = default(TransactionTimeline);
        for (var i = 0; i < TransactionTimeline.Capacity + 2; i++)
        {
            timeline.Add(i % 2 == 0 ? TransactionState.Preparing : TransactionState.InDoubt, Start.AddSeconds(i));
        }

        var steps = timeline.ToArray();
        Assert.Equal(TransactionTimeline.Capacity, steps.Length);
        Assert.Equal(Start.AddSeconds(TransactionTimeline.Capacity + 1), steps[^1].At);
    }

    [Fact]
    public void TransactionInfo_Timeline_RoundTripsOnTheWire()
    {
        var info = new TransactionInfo(TxId.NewId(), TransactionState.Aborted, "l", Start, "why", [], null)
        {
            Timeline = [new(TransactionState.Active, Start), new(TransactionState.Aborted, Start.AddMilliseconds(3))],
        };

        var back = TransactionInfo.FromValue(info.ToValue());

        Assert.Equal(info.Timeline.ToArray(), back.Timeline.ToArray());
        Assert.Equal("preparing", new TransactionStateChange(TransactionState.Preparing, Start).ToValue().AsMap()["state"].AsString());
    }
}
