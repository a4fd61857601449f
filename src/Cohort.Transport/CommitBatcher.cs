using System.Collections.Immutable;
using System.Threading.Channels;
using Cohort.Coordination;
using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Transport;

/// <summary>
/// Phase-2 commit messages to one node, coalesced: while a request is in flight, the commits of other transactions
/// queue up and go together in the next <c>/internal/commit-many</c> request, as group commit does for fsyncs. Each
/// message keeps its own answer; a failed request fails every message in it, and the coordinator retries each
/// (commit is idempotent). Phase 2 is off the client's critical path, so waiting for a batch costs no latency a
/// client sees, and it removes most of phase 2's requests under load.
/// </summary>
internal sealed class CommitBatcher : IAsyncDisposable
{
    /// <summary>Most commits in one request.</summary>
    public const int MaxBatch = 512;

    // Two requests in flight per node: one can be building on the node while the next fills.
    private const int Senders = 2;

    private readonly INodeMessages _client;
    private readonly string _node;
    private readonly Channel<(CommitRequest Request, TaskCompletionSource Done, string? TraceParent)> _queue =
        Channel.CreateUnbounded<(CommitRequest, TaskCompletionSource, string?)>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = false });

    private readonly CancellationTokenSource _stopping = new();
    private readonly Task[] _senders;

    public CommitBatcher(INodeMessages client, string node)
    {
        _client = client;
        _node = node;
        _senders = [.. Enumerable.Range(0, Senders).Select(_ => Task.Run(SendLoopAsync))];
    }

    /// <summary>Queues a commit and completes when the node has applied it (or throws what the node answered).</summary>
    public async ValueTask CommitAsync(CommitRequest request, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Each commit keeps its caller's trace (the batch that carries it mixes transactions).
        if (!_queue.Writer.TryWrite((request, done, Core.Diagnostics.CohortTelemetry.CurrentTraceParent())))
        {
            throw new CohortException(ErrorCodes.Unavailable, "The node is shutting down.", isTransient: true);
        }

        // The caller may stop waiting; the commit itself goes on (a registration, not WaitAsync's promise: one per commit).
        var registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static (state, token) => ((TaskCompletionSource)state!).TrySetCanceled(token), done)
            : default;
        try
        {
            await done.Task.ConfigureAwait(false);
        }
        finally
        {
            await registration.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_senders).ConfigureAwait(false);
        while (_queue.Reader.TryRead(out var item))
        {
            item.Done.TrySetException(new CohortException(ErrorCodes.Unavailable, "The node is shutting down.", isTransient: true));
        }

        _stopping.Dispose();
    }

    private async Task SendLoopAsync()
    {
        // Started inside whichever request first needed this node's batcher: not a part of that request's trace.
        System.Diagnostics.Activity.Current = null;
        var batch = new List<(CommitRequest Request, TaskCompletionSource Done, string? TraceParent)>(MaxBatch);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(_stopping.Token).ConfigureAwait(false))
            {
                while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var item))
                {
                    batch.Add(item);
                }

                if (batch.Count > 0)
                {
                    await SendAsync(batch).ConfigureAwait(false);
                    batch.Clear();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }

        foreach (var (_, done, _) in batch)
        {
            done.TrySetException(new CohortException(ErrorCodes.Unavailable, "The node is shutting down.", isTransient: true));
        }
    }

    private async Task SendAsync(List<(CommitRequest Request, TaskCompletionSource Done, string? TraceParent)> batch)
    {
        try
        {
            var body = Value.Map(("commits", Value.List(ImmutableArray.CreateRange(batch.Select(b => b.TraceParent is { } traceParent
                ? Value.Map(WireFormat.Commit(b.Request).AsMap().SetItem(Core.Diagnostics.CohortTelemetry.TraceParentField, traceParent))
                : WireFormat.Commit(b.Request))))));
            var answer = await _client.PostAsync(_node, "internal/commit-many", body, _stopping.Token).ConfigureAwait(false);
            var results = WireFields.List(answer, "results");
            for (var i = 0; i < batch.Count; i++)
            {
                var result = i < results.Length ? results[i] : Value.Null;
                if (WireFields.OptStr(result, "code") is { } code)
                {
                    batch[i].Done.TrySetException(new CohortException(code, WireFields.OptStr(result, "detail") ?? code, isTransient: code != ErrorCodes.Aborted));
                }
                else if (result.Kind == ValueKind.Map)
                {
                    batch[i].Done.TrySetResult();
                }
                else
                {
                    batch[i].Done.TrySetException(new CohortException(ErrorCodes.Unavailable, $"Node {_node} gave no answer for a commit.", isTransient: true));
                }
            }
        }
        catch (Exception e) when (e is CohortException or TimeoutException or OperationCanceledException or HttpRequestException or IOException)
        {
            foreach (var (_, done, _) in batch)
            {
                done.TrySetException(e);
            }
        }
    }
}
