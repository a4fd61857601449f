using Cohort.Core;

namespace Cohort.Client;

/// <summary>Typed operations on a queue resource (<c>queue:…</c>), which holds any number of named FIFO queues.</summary>
public sealed class QueueClient
{
    private readonly IOperationRunner _runner;

    internal QueueClient(IOperationRunner runner, string resource)
    {
        _runner = runner;
        Resource = resource;
    }

    /// <summary>The resource name.</summary>
    public string Resource { get; }

    /// <summary>Appends <paramref name="value"/> to <paramref name="queue"/>; visible to others once the transaction commits.</summary>
    /// <param name="queue">The queue name within the resource.</param>
    /// <param name="value">The item.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the item is held by the transaction.</returns>
    public Task EnqueueAsync(string queue, Value value, CancellationToken cancellationToken = default) =>
        _runner.RunAsync(CohortOps.Enqueue(Resource, queue, value), cancellationToken);

    /// <summary>Takes the head of <paramref name="queue"/>; <see cref="Value.Null"/> when it is empty. Exactly once: an aborted dequeue puts it back.</summary>
    /// <param name="queue">The queue name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The item, or null.</returns>
    public Task<Value> DequeueAsync(string queue, CancellationToken cancellationToken = default) =>
        _runner.RunAsync(CohortOps.Dequeue(Resource, queue), cancellationToken);

    /// <summary>The head of <paramref name="queue"/> without taking it; <see cref="Value.Null"/> when empty.</summary>
    /// <param name="queue">The queue name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The item, or null.</returns>
    public Task<Value> PeekAsync(string queue, CancellationToken cancellationToken = default) =>
        _runner.RunAsync(CohortOps.Peek(Resource, queue), cancellationToken);

    /// <summary>The number of items in <paramref name="queue"/>.</summary>
    /// <param name="queue">The queue name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The count.</returns>
    public async Task<long> SizeAsync(string queue, CancellationToken cancellationToken = default) =>
        (await _runner.RunAsync(CohortOps.QueueSize(Resource, queue), cancellationToken).ConfigureAwait(false)).TryGetInt64(out var n) ? n : 0;

    /// <summary>Whether <paramref name="queue"/> is empty.</summary>
    /// <param name="queue">The queue name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>True when empty.</returns>
    public async Task<bool> IsEmptyAsync(string queue, CancellationToken cancellationToken = default)
    {
        var result = await _runner.RunAsync(CohortOps.QueueIsEmpty(Resource, queue), cancellationToken).ConfigureAwait(false);
        return result.Kind == ValueKind.Bool && result.AsBool();
    }

    /// <summary>Removes every item of <paramref name="queue"/>.</summary>
    /// <param name="queue">The queue name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many items were removed.</returns>
    public async Task<long> ClearAsync(string queue, CancellationToken cancellationToken = default) =>
        (await _runner.RunAsync(CohortOps.QueueClear(Resource, queue), cancellationToken).ConfigureAwait(false)).TryGetInt64(out var n) ? n : 0;
}
