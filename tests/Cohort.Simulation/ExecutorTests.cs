using Cohort.Core.Execution;

namespace Cohort.Simulation;

public sealed class AsyncGateTests
{
    [Fact]
    public async Task Gate_HandsOverInArrivalOrder_AndSkipsCancelledWaiters()
    {
        var gate = new AsyncGate();
        await gate.WaitAsync();
        var order = new List<int>();
        using var cancel = new CancellationTokenSource();
        var first = gate.WaitAsync().ContinueWith(_ => order.Add(1), TaskScheduler.Default);
        var second = gate.WaitAsync(cancel.Token);
        var third = gate.WaitAsync().ContinueWith(_ => order.Add(3), TaskScheduler.Default);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);

        gate.Release();
        await first;
        Assert.False(third.IsCompleted);
        gate.Release();
        await third;
        Assert.Equal([1, 3], order);
        Assert.True(gate.IsHeld);
        gate.Release();
        Assert.False(gate.IsHeld);
        Assert.Throws<InvalidOperationException>(gate.Release);
    }
}
