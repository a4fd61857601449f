using System.Collections.Concurrent;
using Cohort.Coordination;
using Cohort.Protocol;

namespace Cohort.Tests.Coordination.Simulation;

/// <summary>
/// An in-process network that loses requests and replies, duplicates and delays (hence reorders) messages,
/// refuses messages to nodes that are down, and loses the replies of nodes that crash while handling them.
/// Each message's fate is a pure function of the seed, the transaction's ordinal in the workload, the message
/// kind, the resource and how many times that message was sent before.
/// </summary>
internal sealed class SimNetwork(SimWorld world) : IParticipantTransport, IDecisionSource
{
    private readonly ConcurrentDictionary<(string Kind, int Tx, string Resource), int> _attempts = new();

    public volatile bool Healthy;

    public int Dropped;

    public int Duplicated;

    public ValueTask<ApplyAnswer> ApplyAsync(string node, ApplyRequest request, CancellationToken cancellationToken) =>
        SendAsync("apply", node, request.TxId, request.Resource, request.Epoch, h => h.ApplyAsync(request, CancellationToken.None), cancellationToken);

    public ValueTask<Vote> PrepareAsync(string node, PrepareRequest request, CancellationToken cancellationToken) =>
        SendAsync("prepare", node, request.TxId, request.Resource, request.Epoch, h => h.PrepareAsync(request, CancellationToken.None), cancellationToken);

    public ValueTask<BatchPrepareResult> ApplyAndPrepareAsync(string node, BatchPrepareRequest request, CancellationToken cancellationToken)
    {
        world.RegisterFromOperations(request.TxId, request.Operations);
        return SendAsync("batch", node, request.TxId, request.Resource, request.Epoch, h => h.ApplyAndPrepareAsync(request, CancellationToken.None), cancellationToken);
    }

    public async ValueTask CommitAsync(string node, CommitRequest request, CancellationToken cancellationToken) =>
        await SendAsync("commit", node, request.TxId, request.Resource, request.Epoch, async h => { await h.CommitAsync(request, CancellationToken.None); return true; }, cancellationToken);

    public async ValueTask<HlcTimestamp> CommitOnePhaseAsync(string node, OnePhaseCommitRequest request, CancellationToken cancellationToken) =>
        await SendAsync("commit1pc", node, request.TxId, request.Resource, request.Epoch, async h => await h.CommitOnePhaseAsync(request, CancellationToken.None), cancellationToken);

    public async ValueTask AbortAsync(string node, AbortRequest request, CancellationToken cancellationToken) =>
        await SendAsync("abort", node, request.TxId, request.Resource, request.Epoch, async h => { await h.AbortAsync(request, CancellationToken.None); return true; }, cancellationToken);

    /// <summary>A participant asking the coordinator (through the same lossy network).</summary>
    public async ValueTask<DecisionAnswer> QueryDecisionAsync(string? coordinator, TxId txId, CancellationToken cancellationToken)
    {
        var fate = FateOf("query", txId, "coordinator");
        await Task.Delay(fate.DelayMs, cancellationToken);
        if (fate.DropRequest)
        {
            Interlocked.Increment(ref Dropped);
            throw new TimeoutException("simulated: decision query lost");
        }

        var current = world.Coordinator ?? throw new IOException("simulated: the coordinator is down");
        var answer = current.QueryDecision(txId);
        if (fate.DropReply)
        {
            Interlocked.Increment(ref Dropped);
            throw new TimeoutException("simulated: decision answer lost");
        }

        return answer;
    }

    private Fate FateOf(string kind, TxId txId, string resource)
    {
        var tx = world.OrdinalOf(txId);
        var attempt = _attempts.AddOrUpdate((kind, tx, resource), 1, static (_, n) => n + 1);
        return Fate.Of(world.Seed, Healthy ? 0 : world.FaultRate, kind, tx, resource, attempt);
    }

    private async ValueTask<T> SendAsync<T>(string kind, string node, TxId txId, string resource, long epoch, Func<ParticipantHost, ValueTask<T>> handler, CancellationToken cancellationToken)
    {
        if (!world.IsCurrentCoordinator(epoch))
        {
            // The sender has crashed: a dead process sends nothing.
            throw new IOException("simulated: the sending coordinator is down");
        }

        var fate = FateOf(kind, txId, resource);
        var occurrence = world.CountMessage(kind);
        world.MaybeCrash(kind, occurrence, node, afterDelivery: false);
        await Task.Delay(fate.DelayMs, cancellationToken);
        if (fate.DropRequest)
        {
            Interlocked.Increment(ref Dropped);
            throw new TimeoutException($"simulated: {kind} to {node} lost");
        }

        if (fate.Duplicate)
        {
            Interlocked.Increment(ref Duplicated);
            world.Track(DeliverCopyAsync(fate.DuplicateDelayMs, node, handler));
        }

        var result = await DeliverAsync(node, handler, cancellationToken);
        if (world.MaybeCrash(kind, occurrence, node, afterDelivery: true))
        {
            throw new IOException($"simulated: crash after {kind} #{occurrence} was handled, before its reply");
        }

        if (fate.DropReply)
        {
            Interlocked.Increment(ref Dropped);
            throw new TimeoutException($"simulated: reply of {kind} from {node} lost");
        }

        return result;
    }

    private async ValueTask<T> DeliverAsync<T>(string node, Func<ParticipantHost, ValueTask<T>> handler, CancellationToken cancellationToken)
    {
        var (host, incarnation) = world.NodeOf(node);
        if (host is null)
        {
            throw new IOException($"simulated: node {node} is down");
        }

        try
        {
            // The caller may stop waiting (its timeout); the node goes on handling the message, as a real one would.
            var result = await handler(host).AsTask().WaitAsync(cancellationToken);
            if (world.NodeOf(node).Incarnation != incarnation)
            {
                throw new IOException($"simulated: node {node} crashed before replying");
            }

            return result;
        }
        catch (Exception e) when (e is not IOException and not OperationCanceledException && world.NodeOf(node).Incarnation != incarnation)
        {
            throw new IOException($"simulated: node {node} crashed while handling the message", e);
        }
    }

    private async Task DeliverCopyAsync<T>(int delayMs, string node, Func<ParticipantHost, ValueTask<T>> handler)
    {
        await Task.Delay(delayMs);
        try
        {
            await DeliverAsync(node, handler, CancellationToken.None);
        }
        catch (Exception e) when (e is CohortException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // Nobody waits for the duplicate's reply.
        }
    }
}
