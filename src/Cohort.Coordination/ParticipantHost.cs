using System.Collections.Concurrent;
using System.Diagnostics;
using Cohort.Core.Diagnostics;
using Cohort.Core;
using Cohort.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Cohort.Core.Execution;

namespace Cohort.Coordination;

/// <summary>
/// The participant side of a node: receives the coordinator's protocol messages for the resources (engines) it
/// hosts, refuses stale epochs, duplicated or out-of-sequence operations, and resolves prepared transactions the
/// coordinator has not settled (termination protocol, <see cref="ResolvePreparedAsync"/>).
/// </summary>
public sealed partial class ParticipantHost : IAsyncDisposable
{
    private readonly ParticipantHostOptions _options;
    private readonly IDecisionSource _decisions;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, ITransactionalEngine> _engines = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Resource, TxId TxId), HostTransaction> _transactions = new();
    private readonly ConcurrentDictionary<(string Resource, TxId TxId), DateTimeOffset> _preparedDeadlines = new();
    private readonly CancellationTokenSource _stopping = new();
    private long _newestEpoch;
    private int _disposed;

    /// <summary>Creates a host; add its engines with <see cref="AddEngine"/> and call <see cref="Start"/> for the termination sweep.</summary>
    public ParticipantHost(ParticipantHostOptions options, IDecisionSource decisions, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(decisions);
        options.Validate();
        _options = options;
        _decisions = decisions;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>This node's id.</summary>
    public string NodeId => _options.NodeId;

    /// <summary>The newest coordinator epoch seen; apply, prepare and batch messages with an older one are refused.</summary>
    public long NewestEpoch => Interlocked.Read(ref _newestEpoch);

    /// <summary>The resources hosted here.</summary>
    public IReadOnlyCollection<string> Resources => [.. _engines.Keys];

    /// <summary>Hosts <paramref name="engine"/> (owned from now on: disposed with the host).</summary>
    /// <exception cref="ArgumentException">A resource of that name is already hosted.</exception>
    public void AddEngine(ITransactionalEngine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        if (!_engines.TryAdd(engine.Name, engine))
        {
            throw new ArgumentException($"Resource '{engine.Name}' is already hosted on {NodeId}.", nameof(engine));
        }
    }

    /// <summary>
    /// Says why a resource is not hosted here when there is more to say than "unknown": a replicated resource whose
    /// primary is moving answers <c>unavailable</c> (transient), so that senders retry instead of giving up. Null: the
    /// resource is unknown here.
    /// </summary>
    public Func<string, CohortException?>? Unhosted { get; set; }

    /// <summary>
    /// Admits a request for a resource before it runs, given the configuration term it carries
    /// (<see cref="ApplyRequest.Term"/> and the like) and whether it reads the resource's state (apply, prepare and
    /// snapshot reads do; commits and aborts only deliver a decision): completes to go on, throws the refusal (a
    /// replicated resource whose primary is not this node at that term, or one that cannot confirm it still is).
    /// Null: no resource here is replicated.
    /// </summary>
    public Func<string, long, bool, CancellationToken, ValueTask>? Admit { get; set; }

    /// <summary>Runs <see cref="Admit"/> for a request on <paramref name="resource"/> (nothing when it is not set).</summary>
    public ValueTask AdmitAsync(string resource, long term, bool reads, CancellationToken cancellationToken) =>
        Admit?.Invoke(resource, term, reads, cancellationToken) ?? ValueTask.CompletedTask;

    /// <summary>
    /// Stops hosting <paramref name="engine"/> (a replicated resource's primary stepping down); the caller disposes it.
    /// Requests for it are refused from now on as for an unknown resource.
    /// </summary>
    public bool RemoveEngine(ITransactionalEngine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        return _engines.TryRemove(new KeyValuePair<string, ITransactionalEngine>(engine.Name, engine));
    }

    /// <summary>The engine of <paramref name="resource"/>, or null.</summary>
    public ITransactionalEngine? GetEngine(string resource) => _engines.TryGetValue(resource, out var engine) ? engine : null;

    /// <summary>Runs an operation (see <see cref="ApplyRequest.Sequence"/> for duplicates and gaps).</summary>
    public async ValueTask<ApplyAnswer> ApplyAsync(ApplyRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var activity = Span("cohort.participant.apply", request.TxId, request.Resource);
        var engine = Engine(request.Resource);
        CheckEpoch(request.Epoch, request.TxId, request.Resource);
        var key = (request.Resource, request.TxId);
        if (_time.GetUtcNow() >= request.Deadline)
        {
            // A late (or duplicated) operation must not abort what was prepared here, or a read-only participant holding its
            // locks for the outcome: only the decision settles those.
            if (!_preparedDeadlines.ContainsKey(key) && !HoldsPrepared(engine, request.TxId))
            {
                await engine.AbortAsync(request.TxId, cancellationToken).ConfigureAwait(false);
            }

            throw new CohortException(ErrorCodes.Expired, $"Transaction {request.TxId} passed its deadline {request.Deadline:O}.");
        }

        HostTransaction? entry;
        if (request.Sequence == 1)
        {
            entry = _transactions.GetOrAdd(key, static (_, deadline) => new HostTransaction(deadline), request.Deadline);
        }
        else if (!_transactions.TryGetValue(key, out entry))
        {
            // Its earlier operations were lost (a restart) or it already finished here: running this one alone would commit half a transaction.
            throw new CohortException(ErrorCodes.UnknownTransaction, $"Transaction {request.TxId} is unknown on {request.Resource} (operation {request.Sequence} arrived without its predecessors).", isTransient: true);
        }

        lock (entry.Sync)
        {
            if (entry.BatchStarted || request.Sequence != entry.Applied + 1)
            {
                Log.OutOfOrder(_logger, request.TxId, request.Resource, request.Sequence, entry.Applied + 1);
                throw new CohortException(ErrorCodes.OutOfOrder, $"Operation {request.Sequence} of {request.TxId} on {request.Resource} is a duplicate or out of sequence (expected {entry.Applied + 1}); not run.", isTransient: true);
            }

            entry.Applied = request.Sequence;
        }

        // Admitted or refused, the operation took its place in the sequence, as one the engine refuses cleanly does
        // (the coordinator counts it either way).
        await AdmitAsync(request.Resource, request.Term, reads: true, cancellationToken).ConfigureAwait(false);
        var result = await engine.ApplyAsync(new TransactionContext(request.TxId, request.Deadline), request.Operation, cancellationToken).ConfigureAwait(false);
        return new ApplyAnswer(result, engine.MayHaveWritten(request.TxId));
    }

    /// <summary>Phase one. Votes No when the participant ran a different number of operations than the coordinator sent.</summary>
    public async ValueTask<Vote> PrepareAsync(PrepareRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var activity = Span("cohort.participant.prepare", request.TxId, request.Resource);
        var engine = await EngineAsync(request.Resource, request.Term, reads: true, cancellationToken).ConfigureAwait(false);
        CheckEpoch(request.Epoch, request.TxId, request.Resource);
        var key = (request.Resource, request.TxId);
        if (_transactions.TryGetValue(key, out var entry) && entry.Applied != request.OperationCount)
        {
            // Not aborted here: the transaction may be prepared already (this is a stale duplicate); the No settles it.
            Log.OperationCountMismatch(_logger, request.TxId, request.Resource, request.OperationCount, entry.Applied);
            return Vote.No($"{request.Resource} ran {entry.Applied} operations of {request.TxId}, the coordinator sent {request.OperationCount}");
        }

        if (_time.GetUtcNow() >= request.Deadline)
        {
            return Vote.No($"prepare of {request.TxId} reached {request.Resource} after the deadline {request.Deadline:O}");
        }

        _preparedDeadlines[key] = request.Deadline;
        var vote = await engine.PrepareAsync(request.TxId, new PrepareInfo(request.Coordinator, request.KeepReadLocks), cancellationToken).ConfigureAwait(false);
        if (!AwaitsOutcome(vote))
        {
            _preparedDeadlines.TryRemove(key, out _);
        }
        else
        {
            CrashPoints.Hit(CrashPoints.ParticipantAfterPrepareDurable);
        }

        _transactions.TryRemove(key, out _);
        return vote;
    }

    /// <summary>A batch: the operations, then prepare (or a one-phase commit). A duplicate gets the first one's answer.</summary>
    public async ValueTask<BatchPrepareResult> ApplyAndPrepareAsync(BatchPrepareRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var activity = Span("cohort.participant.batch", request.TxId, request.Resource);
        var engine = await EngineAsync(request.Resource, request.Term, reads: true, cancellationToken).ConfigureAwait(false);
        CheckEpoch(request.Epoch, request.TxId, request.Resource);
        var key = (request.Resource, request.TxId);
        if (_time.GetUtcNow() >= request.Deadline)
        {
            // Too late to run anything; but another copy of this message may have run, so answer what it did.
            if (_transactions.TryGetValue(key, out var existing) && existing.Batch is { } running)
            {
                return await running.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            if (request.CommitOnePhase && await SettleOnePhaseAsync(engine, request.TxId, cancellationToken).ConfigureAwait(false) is { } committedAt)
            {
                return new BatchPrepareResult([], Vote.Yes(committedAt), null);
            }

            return new BatchPrepareResult([], Vote.No($"batch of {request.TxId} reached {request.Resource} after the deadline"), ErrorCodes.Expired);
        }

        var entry = _transactions.GetOrAdd(key, static (_, deadline) => new HostTransaction(deadline), request.Deadline);
        Promise<BatchPrepareResult>? first = null;
        lock (entry.Sync)
        {
            if (entry.Applied > 0 && entry.Batch is null)
            {
                return new BatchPrepareResult([], Vote.No($"{request.TxId} already ran single operations on {request.Resource}; a batch cannot join it"), ErrorCodes.OutOfOrder);
            }

            if (entry.Batch is { } running)
            {
                first = running;
            }
            else
            {
                entry.Batch = new Promise<BatchPrepareResult>();
            }
        }

        if (first is not null)
        {
            // A duplicate: answering No while the first copy may still commit would be a lie. Repeat its answer.
            return await first.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            var result = await RunBatchAsync(engine, entry, request, cancellationToken).ConfigureAwait(false);
            entry.Batch!.TrySetResult(result);
            return result;
        }
        catch (Exception e)
        {
            entry.Batch!.TrySetException(e);
            throw;
        }
    }

    private async Task<BatchPrepareResult> RunBatchAsync(ITransactionalEngine engine, HostTransaction entry, BatchPrepareRequest request, CancellationToken cancellationToken)
    {
        var key = (request.Resource, request.TxId);
        var context = new TransactionContext(request.TxId, request.Deadline);
        var results = new List<Value>(request.Operations.Count);
        try
        {
            if (!request.CommitOnePhase && engine is IPipelinedParticipant pipelined)
            {
                // Operations and prepare in one go (PostgreSQL: the last statement, the audit row and PREPARE TRANSACTION in one round trip).
                _preparedDeadlines[key] = request.Deadline;
                var (values, pipelinedVote) = await pipelined.ApplyAndPrepareAsync(context, request.Operations, new PrepareInfo(request.Coordinator, request.KeepReadLocks), cancellationToken).ConfigureAwait(false);
                lock (entry.Sync)
                {
                    entry.Applied = request.Operations.Count;
                }

                if (pipelinedVote.Kind == VoteKind.Yes)
                {
                    CrashPoints.Hit(CrashPoints.ParticipantAfterPrepareDurable);
                }

                return new BatchPrepareResult(pipelinedVote.Kind == VoteKind.No ? [] : [.. values], pipelinedVote, null);
            }

            foreach (var operation in request.Operations)
            {
                results.Add(await engine.ApplyAsync(context, operation, cancellationToken).ConfigureAwait(false));
            }

            lock (entry.Sync)
            {
                entry.Applied = request.Operations.Count;
            }

            if (request.CommitOnePhase)
            {
                // The vote carries the commit timestamp, for the client's answer.
                var committedAt = await engine.CommitOnePhaseAsync(request.TxId, engine.Clock.Now(), cancellationToken).ConfigureAwait(false);
                return new BatchPrepareResult(results, Vote.Yes(committedAt), null);
            }

            _preparedDeadlines[key] = request.Deadline;
            var vote = await engine.PrepareAsync(request.TxId, new PrepareInfo(request.Coordinator, request.KeepReadLocks), cancellationToken).ConfigureAwait(false);
            if (vote.Kind == VoteKind.Yes)
            {
                CrashPoints.Hit(CrashPoints.ParticipantAfterPrepareDurable);
            }
            else if (!AwaitsOutcome(vote))
            {
                _preparedDeadlines.TryRemove(key, out _);
            }

            return new BatchPrepareResult(vote.Kind == VoteKind.No ? [] : results, vote, null);
        }
        catch (CohortException e) when (e.Code is not (ErrorCodes.Corruption or ErrorCodes.Disposed))
        {
            // A failed log write or a closing engine leaves the outcome unknown: those propagate instead.
            if (request.CommitOnePhase && await SettleOnePhaseAsync(engine, request.TxId, cancellationToken).ConfigureAwait(false) is { } committedAt)
            {
                // Another copy of this message (before a restart, say) committed it: say so, not "No".
                return new BatchPrepareResult([], Vote.Yes(committedAt), null);
            }

            if (HoldsPrepared(engine, request.TxId))
            {
                // A copy of the batch that arrives after this node restarted: the transaction it prepared came back from
                // the log, and a prepared transaction is the coordinator's to decide. Aborting it here could split a
                // commit; answering No only makes the coordinator abort it, if it has not decided already.
                return new BatchPrepareResult([], Vote.No($"{request.TxId} is already prepared on {request.Resource}; this copy of its batch was not run"), ErrorCodes.OutOfOrder);
            }

            await engine.AbortAsync(request.TxId, cancellationToken).ConfigureAwait(false);
            return new BatchPrepareResult([], Vote.No($"{request.Resource}: {e.Code}: {e.Message}"), e.Code);
        }
    }

    // Whether the engine holds the transaction prepared, as recovery leaves it after a restart (this host's memory of
    // what it prepared is gone then): only the coordinator's decision may end such a transaction.
    private static bool HoldsPrepared(ITransactionalEngine engine, TxId txId)
    {
        try
        {
            return engine.HoldsPrepared(txId);
        }
        catch (CohortException)
        {
            // An engine that cannot say (closing, failed) is treated as holding it: never abort what may be prepared.
            return true;
        }
    }

    // Makes the one-phase outcome final and reports it: aborts the transaction unless it committed (abort is a no-op
    // then), so the commit that follows succeeds exactly when it had committed. Returns its commit timestamp, or null.
    private static async Task<HlcTimestamp?> SettleOnePhaseAsync(ITransactionalEngine engine, TxId txId, CancellationToken cancellationToken)
    {
        await engine.AbortAsync(txId, cancellationToken).ConfigureAwait(false);
        try
        {
            return await engine.CommitOnePhaseAsync(txId, engine.Clock.Now(), cancellationToken).ConfigureAwait(false);
        }
        catch (CohortException e) when (e.Code is ErrorCodes.Aborted or ErrorCodes.UnknownTransaction)
        {
            return null;
        }
    }

    // A Yes vote waits for the decision; so does a read-only one that kept its locks (the termination sweep asks for
    // the commit timestamp when the coordinator's message does not come).
    private static bool AwaitsOutcome(Vote vote) => vote.Kind == VoteKind.Yes || vote.HoldsLocks;

    /// <summary>Phase two. Never refused for its epoch: a durable decision stands whoever delivers it.</summary>
    public async ValueTask CommitAsync(CommitRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var activity = Span("cohort.participant.commit", request.TxId, request.Resource);
        var engine = await EngineAsync(request.Resource, request.Term, reads: false, cancellationToken).ConfigureAwait(false);
        NoteEpoch(request.Epoch);
        CrashPoints.Hit(CrashPoints.ParticipantDuringPhaseTwo);
        await engine.CommitAsync(request.TxId, request.CommitTimestamp, cancellationToken).ConfigureAwait(false);
        Forget(request.Resource, request.TxId);
    }

    /// <summary>
    /// One-phase commit of the only writer. When the operation count disagrees (a lost or duplicated operation)
    /// or the deadline has passed, the transaction is aborted first, so the commit then succeeds only if it
    /// had already committed and otherwise reports <c>aborted</c>.
    /// </summary>
    /// <returns>The timestamp it committed at.</returns>
    public async ValueTask<HlcTimestamp> CommitOnePhaseAsync(OnePhaseCommitRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var activity = Span("cohort.participant.commit_one_phase", request.TxId, request.Resource);
        var engine = await EngineAsync(request.Resource, request.Term, reads: false, cancellationToken).ConfigureAwait(false);
        NoteEpoch(request.Epoch);
        var key = (request.Resource, request.TxId);
        var applied = _transactions.TryGetValue(key, out var entry) ? entry.Applied : -1;
        var pastDeadline = entry is not null && _time.GetUtcNow() >= entry.Deadline;
        if (applied != request.OperationCount || pastDeadline)
        {
            if (applied >= 0 && applied != request.OperationCount)
            {
                Log.OperationCountMismatch(_logger, request.TxId, request.Resource, request.OperationCount, applied);
            }

            await engine.AbortAsync(request.TxId, cancellationToken).ConfigureAwait(false);
        }

        var committedAt = await engine.CommitOnePhaseAsync(request.TxId, request.CommitTimestamp, cancellationToken).ConfigureAwait(false);
        Forget(request.Resource, request.TxId);
        return committedAt;
    }

    /// <summary>Aborts. Idempotent, never refused for its epoch.</summary>
    public async ValueTask AbortAsync(AbortRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var activity = Span("cohort.participant.abort", request.TxId, request.Resource);
        var engine = await EngineAsync(request.Resource, request.Term, reads: false, cancellationToken).ConfigureAwait(false);
        NoteEpoch(request.Epoch);
        await engine.AbortAsync(request.TxId, cancellationToken).ConfigureAwait(false);
        Forget(request.Resource, request.TxId);
    }

    /// <summary>Stops the termination sweep and disposes every hosted engine.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await StopSweepAsync().ConfigureAwait(false);
        foreach (var engine in _engines.Values)
        {
            await engine.DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    // A span of this participant's step of a transaction (null when nobody traces).
    private Activity? Span(string name, TxId txId, string resource)
    {
        var activity = CohortTelemetry.Start(name);
        activity?.SetTag(CohortTelemetry.TxIdAttribute, txId.ToString());
        activity?.SetTag(CohortTelemetry.ResourceAttribute, resource);
        activity?.SetTag(CohortTelemetry.NodeAttribute, NodeId);
        return activity;
    }

    private ITransactionalEngine Engine(string resource)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new CohortException(ErrorCodes.Disposed, $"Node {NodeId} is shutting down.");
        }

        return _engines.TryGetValue(resource, out var engine)
            ? engine
            : throw Unhosted?.Invoke(resource) ?? new CohortException(ErrorCodes.UnknownResource, $"Resource '{resource}' is not hosted on node {NodeId}.", isTransient: false);
    }

    private async ValueTask<ITransactionalEngine> EngineAsync(string resource, long term, bool reads, CancellationToken cancellationToken)
    {
        var engine = Engine(resource);
        await AdmitAsync(resource, term, reads, cancellationToken).ConfigureAwait(false);
        return engine;
    }

    private void CheckEpoch(long epoch, TxId txId, string resource)
    {
        var newest = NoteEpoch(epoch);
        if (epoch < newest)
        {
            Log.StaleEpoch(_logger, txId, resource, epoch, newest);
            throw new CohortException(ErrorCodes.StaleEpoch, $"Message for {txId} carries epoch {epoch}, older than {newest}: it comes from a deposed coordinator.", isTransient: false);
        }
    }

    /// <summary>
    /// Records an epoch learnt outside the protocol (from cluster heartbeats), so that a deposed coordinator's
    /// begin/apply/prepare is refused even before the new master has sent this node anything.
    /// </summary>
    public void ObserveEpoch(long epoch) => NoteEpoch(epoch);

    private long NoteEpoch(long epoch)
    {
        while (true)
        {
            var newest = Interlocked.Read(ref _newestEpoch);
            if (epoch <= newest || Interlocked.CompareExchange(ref _newestEpoch, epoch, newest) == newest)
            {
                return Math.Max(epoch, newest);
            }
        }
    }

    private void Forget(string resource, TxId txId)
    {
        _transactions.TryRemove((resource, txId), out _);
        _preparedDeadlines.TryRemove((resource, txId), out _);
    }
}
