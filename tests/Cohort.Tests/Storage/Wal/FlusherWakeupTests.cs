using Cohort.Storage.Wal;

namespace Cohort.Tests.Storage.Wal;

/// <summary>The WAL flusher's wake-up: a set before the wait is not lost, sets do not accumulate, a wait ends on a set from another thread or on cancellation.</summary>
public sealed class FlusherWakeupTests
{
    [Fact]
    public void SetBeforeWait_WaitReturnsAtOnce_AndSetsDoNotAccumulate()
    {
        var wakeup = new FlusherWakeup();
        wakeup.Set();
        wakeup.Set();
        wakeup.Wait(CancellationToken.None);

        // The two sets were one: the next wait blocks until cancelled.
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        Assert.Throws<OperationCanceledException>(() => wakeup.Wait(cancel.Token));
    }

    [Fact]
    public async Task WaitOnAThread_EndsWhenAnotherThreadSets()
    {
        var wakeup = new FlusherWakeup();
        var woken = 0;
        var sleeper = new Thread(() =>
        {
            for (var i = 0; i < 100; i++)
            {
                wakeup.Wait(CancellationToken.None);
                Interlocked.Increment(ref woken);
            }
        });
        sleeper.Start();
        for (var i = 0; i < 100; i++)
        {
            var before = Volatile.Read(ref woken);
            wakeup.Set();
            for (var spins = 0; Volatile.Read(ref woken) == before && spins < 5000; spins++)
            {
                await Task.Delay(1);
            }

            Assert.Equal(before + 1, Volatile.Read(ref woken));
        }

        Assert.True(sleeper.Join(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Cancellation_EndsABlockedWait()
    {
        var wakeup = new FlusherWakeup();
        using var cancel = new CancellationTokenSource();
        Exception? thrown = null;
        var sleeper = new Thread(() =>
        {
            try
            {
                wakeup.Wait(cancel.Token);
            }
            catch (OperationCanceledException e)
            {
                thrown = e;
            }
        });
        sleeper.Start();
        Thread.Sleep(50);
        cancel.Cancel();
        Assert.True(sleeper.Join(TimeSpan.FromSeconds(10)));
        Assert.IsAssignableFrom<OperationCanceledException>(thrown);
    }
}
