using System.Buffers;
using System.Threading.Channels;
using Cohort.Coordination;
using Cohort.Core;
using Cohort.Storage.Encoding;
using dotnet_etcd;
using dotnet_etcd.interfaces;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cohort.Etcd;

/// <summary>
/// The <c>etcd</c> decision log: one key per unfinished commit decision, <c>&lt;prefix&gt;/decisions/&lt;txid&gt;</c>,
/// replicated by etcd, so a new leader on another machine finds its predecessors' decisions. Concurrent
/// <see cref="WriteCommitAsync"/> calls are group-committed: while <see cref="EtcdDecisionLogOptions.MaxInFlight"/> etcd
/// transactions are in flight the next ones queue, and go out together in the next (at most
/// <see cref="EtcdDecisionLogOptions.MaxBatch"/> per transaction).
/// </summary>
/// <remarks>
/// <para>
/// Every transaction that records decisions is fenced: it puts them only if the leader key's create revision is the
/// decisions' epoch and its value is this node (<see cref="EtcdDecisionLogOptions.Holder"/>). A deposed leader (its
/// lease expired, another node now holds the key under a newer revision, or it lost the key and won it back under a new
/// epoch) can therefore never record a decision, whatever it believes about its own leadership; its writers fail with
/// <see cref="ErrorCodes.NoLeader"/> and nothing is written.
/// </para>
/// <para>
/// A value is a format byte (1) followed by the decision in <see cref="DecisionCodec"/>'s binary form, the same bytes
/// as the file log's COMMIT records: one codec for decisions (with its bounds checks), about a third of the size of JSON
/// (etcd's whole data set lives in memory and in every member's snapshot), and the format byte leaves room to change it.
/// </para>
/// <para>
/// END deletes the key, batched and unfenced: phase two is over whoever led, and a lost deletion only makes a later
/// leader repeat phase two, which is idempotent. Except for a decision this log did not write but read from etcd (a
/// predecessor's, adopted after a failover, or this node's before a restart): its coordinator may be alive, deposed,
/// and holding the transaction in doubt (its write's answer was lost), and it settles that by reading the key — where
/// "absent" must keep meaning "never recorded". So the END of such a decision leaves the decision in place, bound to a
/// lease of <see cref="EtcdDecisionLogOptions.AbortRetention"/> (like a recorded abort), and etcd removes it then;
/// a decision bound to a lease is finished, and never loaded as unfinished.
/// </para>
/// </remarks>
public sealed partial class EtcdDecisionLog : IDecisionLog
{
    private const byte ValueFormat = 1;

    // An abort a leader recorded while settling a transaction (EtcdDecisionLog.Settle.cs): this byte alone.
    private const byte AbortFormat = 2;
    private const int LoadPageSize = 512;

    private readonly IConnection _etcd;
    private readonly EtcdDecisionLogOptions _options;
    private readonly EtcdKeys _keys;
    private readonly ByteString _holder;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Dictionary<TxId, CommitDecision> _unfinished = [];

    // The unfinished decisions read from etcd rather than written here (guarded by _gate): their END keeps them, leased.
    private readonly HashSet<TxId> _adopted = [];
    private readonly Channel<PendingCommit> _commits = Channel.CreateUnbounded<PendingCommit>(new UnboundedChannelOptions { SingleReader = false });
    private readonly Channel<(TxId TxId, CommitDecision? Retain)> _ends = Channel.CreateUnbounded<(TxId, CommitDecision?)>(new UnboundedChannelOptions { SingleReader = true });
    private Task _commitLoop = Task.CompletedTask;
    private Task _endLoop = Task.CompletedTask;
    private long _commitTransactions;
    private long _endTransactions;
    private int _disposed;

    private EtcdDecisionLog(EtcdClient client, EtcdDecisionLogOptions options, ILogger? logger, TimeProvider? time)
    {
        _etcd = client.GetConnection();
        _options = options;
        _keys = new EtcdKeys(options.KeyPrefix);
        _holder = ByteString.CopyFromUtf8(options.Holder);
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>etcd transactions sent to record decisions (every attempt counts).</summary>
    internal long CommitTransactions => Interlocked.Read(ref _commitTransactions);

    /// <summary>etcd transactions sent to delete finished decisions.</summary>
    internal long EndTransactions => Interlocked.Read(ref _endTransactions);

    /// <summary>
    /// Opens the log: reads every decision under <c>&lt;prefix&gt;/decisions/</c> (one consistent revision, page by
    /// page) as the unfinished ones, and starts the group-commit loops. A read that fails transiently (etcd electing a
    /// leader, the first connection slow on a loaded machine) is tried again within
    /// <see cref="EtcdDecisionLogOptions.WriteTimeout"/>.
    /// </summary>
    /// <param name="client">The etcd client; not owned, the caller disposes it after this log.</param>
    /// <param name="options">Key prefix, holder name, batch limits and time budgets.</param>
    /// <param name="logger">Where failures are logged.</param>
    /// <param name="time">The clock of the write time budget.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <exception cref="CohortException"><c>unavailable</c> when etcd does not answer; <c>corruption</c> for a value that does not decode.</exception>
    public static async Task<EtcdDecisionLog> OpenAsync(
        EtcdClient client,
        EtcdDecisionLogOptions options,
        ILogger? logger = null,
        TimeProvider? time = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var log = new EtcdDecisionLog(client, options, logger, time);
        var started = log._time.GetTimestamp();
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), jitter: 0.5);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await log.LoadAsync(cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (CohortException e) when (e.IsTransient && log._time.GetElapsedTime(started) + backoff.Initial < options.WriteTimeout)
            {
                Log.LoadRetry(log._logger, attempt, e.Message);
                await Task.Delay(backoff.Next(), log._time, cancellationToken).ConfigureAwait(false);
            }
        }

        // MaxInFlight writers share the queue: each takes what queued while the others' transactions were in flight.
        log._commitLoop = Task.WhenAll(Enumerable.Range(0, options.MaxInFlight).Select(_ => Task.Run(log.RunCommitsAsync, CancellationToken.None)));
        log._endLoop = Task.Run(log.RunEndsAsync, CancellationToken.None);
        Log.DecisionLogOpened(log._logger, log._keys.DecisionsPrefix, log._unfinished.Count);
        return log;
    }

    /// <inheritdoc/>
    /// <exception cref="CohortException">
    /// <c>no_leader</c>: the leader key is not this node's at the decision's epoch, nothing was written;
    /// <c>unavailable</c>: etcd did not confirm the write within the time budget, it may or may not be durable.
    /// </exception>
    public async ValueTask WriteCommitAsync(CommitDecision decision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decision);
        cancellationToken.ThrowIfCancellationRequested();
        if (decision.Epoch <= 0)
        {
            throw new CohortException(ErrorCodes.NoLeader, $"The decision of {decision.TxId} carries no leader epoch ({decision.Epoch}); nothing was written.");
        }

        var pending = new PendingCommit(decision, _keys.Decision(decision.TxId), Encode(decision));
        if (Volatile.Read(ref _disposed) != 0 || !_commits.Writer.TryWrite(pending))
        {
            throw new CohortException(ErrorCodes.Disposed, "The etcd decision log is closed.");
        }

        // Not cancellable: once queued, the decision may be written whatever the caller does.
        await pending.Done.Task.ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public void WriteEnd(TxId txId)
    {
        CommitDecision? retain;
        lock (_gate)
        {
            if (!_unfinished.Remove(txId, out var decision))
            {
                return;
            }

            retain = _adopted.Remove(txId) ? decision : null;
        }

        // After disposal the write is refused: a lost END only repeats phase two.
        _ends.Writer.TryWrite((txId, retain));
    }

    /// <inheritdoc/>
    public IReadOnlyList<CommitDecision> GetUnfinished()
    {
        lock (_gate)
        {
            return [.. _unfinished.Values];
        }
    }

    /// <summary>Closes the log after writing what is queued (each batch within its time budget).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _commits.Writer.TryComplete();
        _ends.Writer.TryComplete();
        await _commitLoop.ConfigureAwait(false);
        await _endLoop.ConfigureAwait(false);
    }

    /// <summary>The value stored for <paramref name="decision"/>: the format byte and the codec's bytes.</summary>
    internal static ByteString Encode(CommitDecision decision)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + (decision.Participants.Length * 32));
        buffer.WriteByte(ValueFormat);
        DecisionCodec.Write(buffer, decision);
        return ByteString.CopyFrom(buffer.WrittenSpan);
    }

    /// <summary>
    /// Reads a stored value back; <paramref name="key"/> names it in errors and must be
    /// <paramref name="decisionsPrefix"/> followed by the decision's TxId.
    /// </summary>
    internal static CommitDecision Decode(string decisionsPrefix, string key, ByteString value)
    {
        var bytes = value.Span;
        if (bytes.Length == 0 || bytes[0] != ValueFormat)
        {
            throw new CohortException(ErrorCodes.Corruption, $"etcd key '{key}' holds no decision of a known format.", isTransient: false);
        }

        CommitDecision decision;
        try
        {
            var reader = new SpanReader(bytes[1..]);
            decision = DecisionCodec.Read(ref reader);
            if (reader.Remaining != 0)
            {
                throw new CohortException(ErrorCodes.Corruption, $"etcd key '{key}' holds {reader.Remaining} bytes after its decision.", isTransient: false);
            }
        }
        catch (Exception e) when (e is not CohortException)
        {
            throw new CohortException(ErrorCodes.Corruption, $"etcd key '{key}' holds a decision that does not decode: {e.Message}", isTransient: false, e);
        }

        if (key != decisionsPrefix + decision.TxId.ToString())
        {
            throw new CohortException(ErrorCodes.Corruption, $"etcd key '{key}' holds the decision of {decision.TxId}.", isTransient: false);
        }

        return decision;
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var request = new RangeRequest { Key = _keys.Decisions, RangeEnd = _keys.DecisionsEnd, Limit = LoadPageSize };
        try
        {
            while (true)
            {
                var page = await _etcd.KVClient.RangeAsync(request, deadline: DateTime.UtcNow + _options.RequestTimeout, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);

                // Every page at the first page's revision: one consistent view of the decisions.
                request.Revision = page.Header.Revision;
                foreach (var kv in page.Kvs)
                {
                    // A recorded abort, or a finished decision kept for a while (both bound to a lease).
                    if (IsAbort(kv.Value) || kv.Lease != 0)
                    {
                        continue;
                    }

                    var decision = Decode(_keys.DecisionsPrefix, kv.Key.ToStringUtf8(), kv.Value);
                    lock (_gate)
                    {
                        // Reloaded while this log writes and ends decisions (under the same lock): one written here is
                        // not adopted.
                        if (_unfinished.TryAdd(decision.TxId, decision))
                        {
                            _adopted.Add(decision.TxId);
                        }
                    }
                }

                if (!page.More || page.Kvs.Count == 0)
                {
                    return;
                }

                // The next page starts just after the last key of this one.
                request.Key = EtcdKeys.After(page.Kvs[^1].Key);
            }
        }
        catch (Exception e) when (EtcdErrors.IsCall(e) && !cancellationToken.IsCancellationRequested)
        {
            throw EtcdErrors.ToCohort(e, "the read of the unfinished decisions");
        }
    }

    private sealed class PendingCommit(CommitDecision decision, ByteString key, ByteString value)
    {
        public CommitDecision Decision { get; } = decision;

        public ByteString Key { get; } = key;

        public ByteString Value { get; } = value;

        public int Size => Key.Length + Value.Length;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
