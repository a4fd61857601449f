using System.Collections.Concurrent;
using System.Diagnostics;
using Cohort.Core;
using Cohort.Core.Diagnostics;
using Cohort.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Cohort.Core.Execution;

namespace Cohort.Coordination;

/// <summary>
/// The two-phase-commit coordinator (DESIGN.md §7): begins transactions, routes their operations to the resources'
/// home nodes, commits them (one-phase for a single writer, otherwise parallel prepare, a durable decision, then
/// phase two retried until every participant acknowledged), aborts them, answers status and decision queries, and
/// after a restart re-drives every decision the log holds without an END.
/// </summary>
/// <remarks>
/// Outcomes are values (<see cref="TxOutcome"/>); "committed" is reported only once the decision is durable,
/// "aborted" only when the transaction can never commit, anything else is "in-doubt". The coordinator talks to
/// participants only through <see cref="IParticipantTransport"/> and reads time only from its <see cref="TimeProvider"/>.
/// </remarks>
public sealed partial class Coordinator : IAsyncDisposable
{
    private const int MaxInternedNames = 10_000;

    private readonly CoordinatorOptions _options;
    private readonly IParticipantTransport _transport;
    private readonly IPlacement _placement;
    private readonly IDecisionLog _log;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HybridClock _clock;
    private readonly ConcurrentDictionary<TxId, CoordinatorTransaction> _transactions = new();
    private readonly RecentOutcomes<FinishedTransaction> _finished;
    // Keyed by a sequence number, not by the task: the order they are waited in must not depend on object hash codes
    // (a simulated run must replay the same on any thread).
    private readonly ConcurrentDictionary<long, Task> _background = new();
    private long _backgroundSequence;
    private readonly ConcurrentDictionary<string, string> _resourceNames = new(StringComparer.Ordinal);
    private int _internedNames;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ITimer? _sweep;
    private long _begunCount;
    private int _disposed;
    private int _phaseTwoPending;
    private int _settling;
    private long _phaseTwoWaits;

    // Where a participant's resource lives now. Messages that settle an outcome (phase two, aborts, the questions about
    // an unconfirmed one-phase commit) follow the resource: a replicated one may have failed over to another node since
    // the transaction reached it, and its new primary holds what was acknowledged. Operations and prepares go where the
    // work was done (entry.Node): elsewhere the transaction is unknown.
    private string HomeOf(Participant participant) => _placement.NodeOf(participant.Resource) ?? participant.Node;

    // A span of this coordinator's work on a transaction (null when nobody traces).
    private Activity? Span(string name, TxId txId)
    {
        var activity = CohortTelemetry.Start(name);
        activity?.SetTag(CohortTelemetry.TxIdAttribute, txId.ToString());
        activity?.SetTag(CohortTelemetry.NodeAttribute, NodeId);
        return activity;
    }

    // Every participant request carries the resource's configuration term as placement knows it when it is sent (a
    // retry too): the primary of a replicated resource refuses any other, so a replaced primary is never used.
    private ApplyRequest Termed(ApplyRequest r) => r with { Term = _placement.TermOf(r.Resource) };

    private PrepareRequest Termed(PrepareRequest r) => r with { Term = _placement.TermOf(r.Resource) };

    private BatchPrepareRequest Termed(BatchPrepareRequest r) => r with { Term = _placement.TermOf(r.Resource) };

    private CommitRequest Termed(CommitRequest r) => r with { Term = _placement.TermOf(r.Resource) };

    private OnePhaseCommitRequest Termed(OnePhaseCommitRequest r) => r with { Term = _placement.TermOf(r.Resource) };

    private AbortRequest Termed(AbortRequest r) => r with { Term = _placement.TermOf(r.Resource) };

    /// <summary>Creates a coordinator. Call <see cref="RecoverAsync"/> before serving decision queries.</summary>
    /// <param name="options">Settings.</param>
    /// <param name="transport">How protocol messages reach participants.</param>
    /// <param name="placement">Where resources live.</param>
    /// <param name="log">The durable decision log (owned by the caller).</param>
    /// <param name="time">The clock for deadlines, timeouts and retries.</param>
    /// <param name="logger">Where protocol steps are logged.</param>
    public Coordinator(CoordinatorOptions options, IParticipantTransport transport, IPlacement placement, IDecisionLog log, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(placement);
        ArgumentNullException.ThrowIfNull(log);
        options.Validate();
        _options = options;
        _finished = new(options.FinishedCapacity);
        _transport = transport;
        _placement = placement;
        _log = log;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _clock = new HybridClock(_time);
        if (options.SweepInterval != Timeout.InfiniteTimeSpan)
        {
            _sweep = _time.CreateTimer(_ => Sweep(), null, options.SweepInterval, options.SweepInterval);
        }
    }

    /// <summary>The longest label a transaction may carry, in characters (as long as an account or queue name may be).</summary>
    public const int MaxLabelLength = 256;

    /// <summary>The longest timeout <see cref="Begin"/> accepts.</summary>
    public TimeSpan MaxTimeout => _options.MaxTimeout;

    /// <summary>This coordinator's node id (recorded by participants at prepare).</summary>
    public string NodeId => _options.NodeId;

    /// <summary>The epoch carried by this coordinator's messages (the cluster's, when it has a leadership source).</summary>
    public long Epoch => _options.Leadership?.Epoch ?? _options.Epoch;

    /// <summary>How many transactions this coordinator has begun since it started.</summary>
    public long BegunCount => Interlocked.Read(ref _begunCount);

    /// <summary>
    /// Time from sending prepare (or a batch's operations with prepare) to the last participant's vote, per transaction
    /// that had at least one participant.
    /// </summary>
    public LatencyHistogram PrepareLatency { get; } = new();

    /// <summary>Time to make a commit decision durable in the decision log (the group-commit wait and fsync included).</summary>
    public LatencyHistogram DecisionLatency { get; } = new();

    /// <summary>Time from a durable commit decision to the last participant's acknowledgement (phase two), per transaction.</summary>
    public LatencyHistogram PhaseTwoLatency { get; } = new();

    /// <summary>
    /// Time from the start of commit (an interactive transaction's commit call, a batch's prepare round) to the answer
    /// "committed", per transaction answered committed (aborted and in-doubt answers are not counted).
    /// </summary>
    public LatencyHistogram CommitLatency { get; } = new();

    /// <summary>How the transactions this coordinator finished since it started ended (committed, aborted by reason, in doubt).</summary>
    public CoordinatorCounters Outcomes { get; } = new();

    /// <summary>Whether this coordinator may start new work now (always, without a leadership source).</summary>
    public bool IsLeader => _options.Leadership?.IsLeader ?? true;

    /// <summary>The coordinator's hybrid clock (commit timestamps).</summary>
    public HybridClock Clock => _clock;

    /// <summary>Begins a transaction.</summary>
    /// <param name="timeout">How long it may run before it aborts; the configured default when null.</param>
    /// <param name="label">A free-form label shown in status queries, at most <see cref="MaxLabelLength"/> characters.</param>
    /// <exception cref="ArgumentOutOfRangeException">The timeout is not positive or above the configured maximum, or the label is too long.</exception>
    public TransactionHandle Begin(TimeSpan? timeout = null, string? label = null)
    {
        ThrowIfDisposed();
        if (!IsLeader)
        {
            throw new CohortException(ErrorCodes.NoLeader, $"{NodeId} is not the master (epoch {Epoch}); send transactions to the master, or retry.", isTransient: true);
        }

        var span = timeout ?? _options.Timeout;
        if (span <= TimeSpan.Zero || span > _options.MaxTimeout)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), span, $"A transaction timeout must be positive and at most {_options.MaxTimeout}.");
        }

        // Kept in the transaction's record until it is forgotten: thousands of finished records must stay small.
        if (label is { Length: > MaxLabelLength })
        {
            throw new ArgumentOutOfRangeException(nameof(label), label.Length, $"A transaction label must be at most {MaxLabelLength} characters long.");
        }

        Interlocked.Increment(ref _begunCount);
        var id = TxId.NewId(_time);
        var deadline = _time.GetUtcNow() + span;
        _transactions[id] = new CoordinatorTransaction(id, label, deadline, _time);
        Log.Begun(_logger, id, label, deadline);
        return new TransactionHandle(id, deadline);
    }

    /// <summary>Runs an operation of transaction <paramref name="txId"/> on <paramref name="resource"/>'s home node.</summary>
    /// <returns>The operation's result.</returns>
    /// <exception cref="CohortException">
    /// The participant's error. <c>wounded</c>, <c>lock_timeout</c>, <c>expired</c>, an unreachable node and the like abort the
    /// whole transaction; an invalid operation (<c>bad_operation</c>, <c>insufficient_funds</c>, …) leaves it active.
    /// <c>unknown_transaction</c> when the id is not active here; <c>unknown_resource</c> when no node hosts the resource.
    /// </exception>
    public async ValueTask<Value> ApplyAsync(TxId txId, string resource, Operation operation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ThrowIfDisposed();
        var tx = Get(txId);
        if (!IsLeader)
        {
            throw new CohortException(ErrorCodes.NoLeader, $"{NodeId} is no longer the master (epoch {Epoch}); abort and retry the transaction.", isTransient: true);
        }

        var node = _placement.NodeOf(resource)
            ?? throw new CohortException(ErrorCodes.UnknownResource, $"Resource '{resource}' is not placed on any node.", isTransient: false);
        await tx.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ParticipantEntry entry;
            int sequence;
            lock (tx.Sync)
            {
                ThrowUnlessActive(tx);
                if (_time.GetUtcNow() >= tx.Deadline)
                {
                    entry = null!;
                    sequence = 0;
                }
                else
                {
                    entry = tx.Find(resource) ?? AddParticipant(tx, resource, node);
                    sequence = ++entry.Operations;
                }
            }

            if (sequence == 0)
            {
                AbortIfActive(tx, $"deadline {tx.Deadline:O} passed", ErrorCodes.Expired);
                throw new CohortException(ErrorCodes.Expired, $"Transaction {txId} passed its deadline and was aborted.");
            }

            using var timeout = new TimeoutScope(Remaining(tx.Deadline), _time, cancellationToken, _stopping.Token);
            try
            {
                var answer = await _transport.ApplyAsync(entry.Node, Termed(new ApplyRequest(txId, Epoch, tx.Deadline, resource, operation, sequence)), timeout.Token).ConfigureAwait(false);
                lock (tx.Sync)
                {
                    // The participant says whether it wrote; the commit picks its protocol from the writers.
                    entry.MayWrite |= answer.Wrote;
                }

                return answer.Result;
            }
            catch (CohortException e) when (e.Code == ErrorCodes.ConfigurationMoved && _placement.NodeOf(resource) is { } now && now != entry.Node)
            {
                // A replicated resource's primary moved since the transaction first used it: what it did there is gone
                // with the old primary (nothing is replicated before prepare), so the transaction cannot commit.
                var reason = $"{resource}: its primary moved from {entry.Node} to {now} while the transaction ran there";
                AbortIfActive(tx, reason, ErrorCodes.Unavailable);
                throw new CohortException(ErrorCodes.Unavailable, $"Transaction {txId} was aborted: {reason}; run it again.", isTransient: true, e);
            }

            // A clean refusal (bad arguments, a failed constraint): nothing ran and the transaction stays usable. Any other
            // failure means the participant dropped the transaction or may have run part of the operation: abort.
            catch (CohortException e) when (e.NeverRan && !e.Info.AbortsTransaction)
            {
                Log.OperationFailed(_logger, txId, resource, e.Code, e.Message);
                throw;
            }
            catch (Exception e) when (Delivery.Failed(e))
            {
                // The operation may or may not have run, or the participant dropped the transaction: it cannot commit.
                var reason = e is CohortException ce ? $"{resource}: {ce.Code}: {ce.Message}" : $"{resource} did not answer: {e.Message}";
                AbortIfActive(
                    tx,
                    reason,
                    e is CohortException known ? known.Code : _time.GetUtcNow() >= tx.Deadline ? ErrorCodes.Expired : ErrorCodes.Unavailable);
                if (e is CohortException)
                {
                    throw;
                }

                throw new CohortException(
                    cancellationToken.IsCancellationRequested ? ErrorCodes.Unavailable
                        : _time.GetUtcNow() >= tx.Deadline ? ErrorCodes.Expired : ErrorCodes.Unavailable,
                    $"Transaction {txId} was aborted: {reason}",
                    isTransient: true,
                    e);
            }
        }
        finally
        {
            tx.Gate.Release();
        }
    }

    /// <summary>Aborts a transaction. Idempotent; returns the outcome it ends with (committed if commit won the race).</summary>
    /// <exception cref="CohortException"><c>unknown_transaction</c> when the id is not known here.</exception>
    public async ValueTask<TxOutcome> AbortAsync(TxId txId, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (!_transactions.TryGetValue(txId, out var tx))
        {
            return _finished.TryGetValue(txId, out var finished) ? finished.Outcome : throw Unknown(txId);
        }

        // Checked and aborted under one lock: commit may move the transaction to preparing at any moment, and only
        // commit may abort it from there.
        if (AbortIfActive(tx, "aborted by request") is { } aborted)
        {
            return aborted;
        }

        lock (tx.Sync)
        {
            if (tx.State == TransactionState.Preparing)
            {
                // Commit is collecting votes: it checks this before writing a decision.
                tx.AbortRequested = true;
            }
        }

        return await tx.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits until every background delivery (phase two, aborts, in-doubt resolution) has finished; for tests and shutdown.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken = default)
    {
        while (!_background.IsEmpty)
        {
            await Task.WhenAll(Background()).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops background work (phase two resumes after a restart from the decision log). Does not close the log.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_sweep is not null)
        {
            await _sweep.DisposeAsync().ConfigureAwait(false);
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(Background()).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or CohortException)
        {
            // Background loops end on cancellation.
        }

        // _stopping is not disposed: a commit still running on another thread links to it and must see it cancelled.
    }

    private CoordinatorTransaction Get(TxId txId)
    {
        if (_transactions.TryGetValue(txId, out var tx))
        {
            return tx;
        }

        if (_finished.TryGetValue(txId, out var finished))
        {
            throw NotActive(txId, finished.State, finished.Reason);
        }

        throw Unknown(txId);
    }

    private static CohortException Unknown(TxId txId) =>
        new(ErrorCodes.UnknownTransaction, $"Transaction {txId} is not known to this coordinator (never begun here, finished long ago, or lost in a restart: then it did not commit).", isTransient: false);

    private ParticipantEntry AddParticipant(CoordinatorTransaction tx, string resource, string node)
    {
        // One instance per placed resource name rather than the request's copy, which a finished transaction would
        // otherwise keep alive (see FinishedTransaction). Bounded, in case names are many.
        if (_resourceNames.TryGetValue(resource, out var known))
        {
            resource = known;
        }
        else if (Volatile.Read(ref _internedNames) < MaxInternedNames && _resourceNames.TryAdd(resource, resource))
        {
            Interlocked.Increment(ref _internedNames);
        }

        var entry = new ParticipantEntry(resource, node);
        tx.Participants.Add(entry);
        return entry;
    }

    // Caller holds tx.Sync.
    private static void ThrowUnlessActive(CoordinatorTransaction tx)
    {
        if (tx.State != TransactionState.Active)
        {
            throw NotActive(tx.Id, tx.State, tx.Reason);
        }
    }

    // Why an operation on a transaction past Active is refused (live or finished).
    private static CohortException NotActive(TxId txId, TransactionState state, string? reason) => state == TransactionState.Aborted
        ? new CohortException(ErrorCodes.Aborted, $"Transaction {txId} was aborted: {reason}.")
        : new CohortException(ErrorCodes.NotActive, $"Transaction {txId} is {state.ToWireName()} and takes no more operations.", isTransient: false);

    private TimeSpan Remaining(DateTimeOffset deadline)
    {
        var left = deadline - _time.GetUtcNow();
        return left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1);
    }

    private TimeoutScope MessageTimeout(DateTimeOffset? deadline = null)
    {
        var limit = _options.MessageTimeout;
        if (deadline is { } d && Remaining(d) < limit)
        {
            limit = Remaining(d);
        }

        return new TimeoutScope(limit, _time, _stopping.Token);
    }

    private Task DelayAsync(TimeSpan delay) => Task.Delay(delay, _time, _stopping.Token);

    // Retries of phase two, aborts and one-phase resolution: RetryInitialDelay, doubling up to RetryMaxDelay.
    private Backoff RetryBackoff() => new(_options.RetryInitialDelay, _options.RetryMaxDelay);

    private void Track(Func<Task> work) => _ = RunTracked(work);

    // Background work the coordinator waits for when it stops (DrainAsync, DisposeAsync).
    private Task RunTracked(Func<Task> work)
    {
        var task = Executor.Current.Run(work);
        var id = Interlocked.Increment(ref _backgroundSequence);
        _background[id] = task;
        _ = task.ContinueWith(
            static (_, state) =>
            {
                if (state is (Coordinator coordinator, long key))
                {
                    coordinator._background.TryRemove(key, out Task? _);
                }
            },
            (this, id),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return task;
    }

    // ToArray takes a consistent snapshot; sorting the live dictionary would size its buffer from a count that other
    // threads change meanwhile (and leave nulls in it).
    private List<Task> Background() => [.. _background.ToArray().OrderBy(b => b.Key).Select(b => b.Value)];

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new CohortException(ErrorCodes.Disposed, "The coordinator is shut down.");
        }
    }
}
