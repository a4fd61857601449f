namespace Cohort.IntegrationTests.Harness;

/// <summary>Waiting on a condition with a deadline (never a bare sleep standing in for an assertion).</summary>
internal static class Wait
{
    /// <summary>Generous default for a loaded 2-core machine.</summary>
    public static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Polls <paramref name="condition"/> every <paramref name="poll"/> until it holds; throws <see cref="TimeoutException"/>
    /// with <paramref name="what"/> and the last state <paramref name="describe"/> gives once <paramref name="timeout"/> passes.
    /// Exceptions thrown by the condition count as "not yet" (a node may be restarting) and are reported on timeout.
    /// </summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, Func<string>? describe = null, TimeSpan? poll = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        var interval = poll ?? TimeSpan.FromMilliseconds(200);
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }

                last = null;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or TimeoutException or System.Text.Json.JsonException)
            {
                last = e;
            }

            if (DateTime.UtcNow >= deadline)
            {
                var state = describe?.Invoke();
                throw new TimeoutException($"Waited {timeout.TotalSeconds:0}s for {what}; it never held.{(state is null ? string.Empty : " Last state: " + state)}{(last is null ? string.Empty : " Last error: " + last.Message)}");
            }

            await Task.Delay(interval);
        }
    }
}
