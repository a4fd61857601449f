using Cohort.Core;
using Cohort.Core.Execution;

namespace Cohort.Storage.Replication;

/// <summary>
/// The primary's side of a replicated state (PacificA): every record and snapshot the state logs is shipped, in log
/// order, to every replica; a record counts as durable (its <see cref="Ship"/> task completes) only once every
/// <em>in-sync</em> replica — those of the current configuration — holds it durably.
/// </summary>
/// <remarks>
/// <para>
/// Each replica has a link: a queue of entries and one shipment in flight. A link starts with a
/// <see cref="ReplicationEntryKind.Reset"/> carrying the whole state (taken under the state's lock, so the entries
/// after it are exactly the records logged after the snapshot), which is how a replica catches up and how a newly
/// promoted primary brings every replica to its own history.
/// </para>
/// <para>
/// A replica that stops answering for <see cref="ReplicatorOptions.FailureTimeout"/>, or refuses a shipment as a gap,
/// is reported through <see cref="ReplicaFailed"/> and its link is dropped; while it stays in the configuration nothing
/// more is acknowledged — the owner must have the configuration changed without it (<see cref="Reconfigure"/>) first,
/// so that every replica a leader could promote holds every acknowledged record. A replica that refuses the
/// configuration version as stale means another primary took over: the replicator is fenced (<see cref="Fenced"/>),
/// every waiting and later shipment fails with <see cref="ReplicationFencedException"/>.
/// </para>
/// </remarks>
public sealed class Replicator : IReplicationSink, IAsyncDisposable
{
    // How often a read waiting for the lease looks again.
    private static readonly TimeSpan LeasePoll = TimeSpan.FromMilliseconds(10);

    private readonly string _resource;
    private readonly string _self;
    private readonly ISnapshotSource _source;
    private readonly ReplicatorOptions _options;
    private readonly Lock _sync = new();
    private readonly Dictionary<string, Link> _links = new(StringComparer.Ordinal);
    private readonly Queue<(long Sequence, Promise Done)> _waiters = new();
    private readonly CancellationTokenSource _stop = new();

    // Guarded by _sync.
    private HashSet<string> _inSync;

    // Caught-up replicas whose addition to the configuration is under way: waited for like in-sync ones from the moment
    // they caught up (so that, once added, they hold every acknowledged record), until the configuration decides.
    private readonly HashSet<string> _joining = new(StringComparer.Ordinal);

    // The highest sequence acknowledged (its Ship task completed).
    private long _acknowledged;
    private long _version;
    private long _nextSequence = 1;
    private ReplicationFencedException? _fenced;
    private bool _disposed;

    /// <summary>Creates the replicator of a primary at configuration <paramref name="version"/>; attach replicas with <see cref="Attach"/>.</summary>
    /// <param name="resource">The replicated resource.</param>
    /// <param name="self">This primary's node address (replicas follow one primary's stream).</param>
    /// <param name="version">The configuration version this primary serves under.</param>
    /// <param name="inSync">The replicas of that configuration (not this primary).</param>
    /// <param name="source">Snapshots of the state, under its lock.</param>
    /// <param name="options">Timeouts and batching.</param>
    public Replicator(string resource, string self, long version, IEnumerable<string> inSync, ISnapshotSource source, ReplicatorOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(resource);
        ArgumentException.ThrowIfNullOrEmpty(self);
        ArgumentNullException.ThrowIfNull(inSync);
        ArgumentNullException.ThrowIfNull(source);
        _options = options ?? new ReplicatorOptions();
        _options.Validate();
        _resource = resource;
        _self = self;

        // Replicas follow one stream: this primary's node and this replicator's incarnation (a restarted primary, or
        // one promoted again later, starts another stream and numbers it afresh).
        Stream = FormattableString.Invariant($"{self}/{Executor.Current.Random.NextInt64():x16}");
        _version = version;
        _inSync = new HashSet<string>(inSync, StringComparer.Ordinal);
        _source = source;
    }

    /// <summary>A replica stopped answering or lost the stream; it must be taken out of the configuration (once per link).</summary>
    public event Action<string, Exception>? ReplicaFailed;

    /// <summary>A replica that is not in the configuration has caught up with the stream: it may be added (once per link).</summary>
    public event Action<string>? CaughtUp;

    /// <summary>A replica has seen a newer configuration: another primary took over, and this one must stop.</summary>
    public event Action<ReplicationFencedException>? Fenced;

    /// <summary>The identity of the stream this replicator ships (the primary's node and an incarnation).</summary>
    public string Stream { get; }

    /// <summary>The configuration version this primary ships under.</summary>
    public long Version
    {
        get
        {
            lock (_sync)
            {
                return _version;
            }
        }
    }

    // Whether this replicator was disposed (its primary stepped down or the node stops).
    private bool IsStopped
    {
        get
        {
            lock (_sync)
            {
                return _disposed;
            }
        }
    }

    /// <summary>Whether a replica refused this primary as superseded.</summary>
    public bool IsFenced
    {
        get
        {
            lock (_sync)
            {
                return _fenced is not null;
            }
        }
    }

    /// <summary>
    /// Whether this primary holds its read lease: every in-sync replica acknowledged a shipment (an idle probe counts)
    /// sent less than <see cref="ReplicatorOptions.ReadLease"/> ago, and none refused it as superseded. A replica
    /// promoted in its place waits out the lease from its last acknowledgement before it serves, so while the lease
    /// holds no other primary can have acknowledged a write: reads here are not stale.
    /// </summary>
    public bool HoldsLease
    {
        get
        {
            lock (_sync)
            {
                if (_fenced is not null || _disposed)
                {
                    return false;
                }

                // Joining replicas too: the leader may already have added one to the configuration (and so could promote
                // it) before this primary has seen that change.
                var time = _options.TimeProvider;
                foreach (var replica in _inSync.Concat(_joining))
                {
                    if (!_links.TryGetValue(replica, out var link) || link.LeaseFrom == 0 || time.GetElapsedTime(link.LeaseFrom) >= _options.ReadLease)
                    {
                        return false;
                    }
                }

                return true;
            }
        }
    }

    /// <summary>
    /// Waits until this primary holds its read lease (<see cref="HoldsLease"/>), probing every replica at once when it
    /// does not; throws <c>unavailable</c> (transient) when it still does not after <paramref name="timeout"/>.
    /// </summary>
    public async Task WaitForLeaseAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (HoldsLease)
        {
            return;
        }

        lock (_sync)
        {
            foreach (var link in _links.Values)
            {
                link.ProbeNow();
            }
        }

        var time = _options.TimeProvider;
        var started = time.GetTimestamp();
        while (!HoldsLease)
        {
            if (time.GetElapsedTime(started) >= timeout || IsFenced || IsStopped)
            {
                throw new CohortException(
                    ErrorCodes.Unavailable,
                    IsFenced || IsStopped
                        ? $"{_resource} on {_self}: this primary was superseded or stopped; it serves nothing more."
                        : $"{_resource} on {_self}: not every replica ({string.Join(", ", InSync)}) confirmed this primary within {timeout.TotalMilliseconds:0} ms, so a read here could miss a newer primary's writes; retry.",
                    isTransient: true);
            }

            await Task.Delay(LeasePoll, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The in-sync replicas (of the current configuration).</summary>
    public IReadOnlyList<string> InSync
    {
        get
        {
            lock (_sync)
            {
                return [.. _inSync];
            }
        }
    }

    /// <summary>Per replica with a live link: the sequence it holds durably and whether it is in sync.</summary>
    public IReadOnlyList<(string Replica, long AckedThrough, long Lag, bool InSync)> Status
    {
        get
        {
            lock (_sync)
            {
                var last = _nextSequence - 1;
                return [.. _links.Values.Select(l => (l.Channel.Replica, l.AckedThrough, Math.Max(0, last - l.AckedThrough), _inSync.Contains(l.Channel.Replica)))];
            }
        }
    }

    /// <inheritdoc/>
    public Task Ship(ReplicationEntryKind kind, byte recordType, ReadOnlySpan<byte> payload)
    {
        lock (_sync)
        {
            if (_fenced is { } fenced)
            {
                return Task.FromException(fenced);
            }

            if (_disposed)
            {
                // The record is in the local log already; its fate is the owner's to find out (as after a failed write).
                return Task.FromException(new IOException($"The replication of {_resource} has stopped."));
            }

            var entry = new ReplicationEntry(_nextSequence++, kind, recordType, payload.ToArray());
            foreach (var link in _links.Values)
            {
                link.Enqueue(entry);
            }

            if (_inSync.Count == 0 && _joining.Count == 0)
            {
                _acknowledged = entry.Sequence;
                return Task.CompletedTask;
            }

            var done = new Promise();
            _waiters.Enqueue((entry.Sequence, done));
            return done.Task;
        }
    }

    /// <summary>
    /// Starts shipping to <paramref name="channel"/>'s replica: a reset with the whole state, then every entry logged
    /// after it. A replica of the configuration is waited for from now on; another one is reported through
    /// <see cref="CaughtUp"/> once it holds everything logged up to the moment it was attached.
    /// </summary>
    public void Attach(IReplicaChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        if (channel.Replica == _self)
        {
            throw new ArgumentException($"The primary {_self} cannot be its own replica.", nameof(channel));
        }

        Link? replaced = null;
        _source.Capture(snapshot =>
        {
            lock (_sync)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_fenced is { } fenced)
                {
                    throw fenced;
                }

                // The reset holds everything through the last sequence shipped; the next entry continues from there.
                var last = _nextSequence - 1;
                var link = new Link(this, channel, last);
                link.Enqueue(new ReplicationEntry(last, ReplicationEntryKind.Reset, 0, snapshot.ToArray()));
                _links.Remove(channel.Replica, out replaced);
                _links[channel.Replica] = link;
                link.Start();
            }
        });

        replaced?.Stop();
    }

    /// <summary>
    /// Adopts a new configuration (after the leader changed it): <paramref name="version"/> from now on, and
    /// <paramref name="inSync"/> as the replicas waited for. Links of replicas no longer in it are dropped, unless they
    /// are catching up to be added.
    /// </summary>
    public void Reconfigure(long version, IEnumerable<string> inSync)
    {
        ArgumentNullException.ThrowIfNull(inSync);
        List<Promise>? done;
        lock (_sync)
        {
            if (version < _version)
            {
                return;
            }

            var next = new HashSet<string>(inSync, StringComparer.Ordinal);
            var removed = _inSync.Where(r => !next.Contains(r)).ToList();

            // A joining replica the new configuration leaves out was not added (the change was computed from another
            // version): its link goes, and catching up starts again later.
            removed.AddRange(_joining.Where(r => !next.Contains(r)));
            _joining.Clear();
            _version = version;
            _inSync = next;
            foreach (var replica in removed)
            {
                if (_links.Remove(replica, out var link))
                {
                    link.Stop();
                }
            }

            done = TakeDurableLocked();
        }

        Settle(done);
    }

    /// <summary>
    /// Gives up adding <paramref name="replica"/> (the leader did not add it, and the configuration did not change): it
    /// is no longer waited for, and its link goes.
    /// </summary>
    public void Abandon(string replica)
    {
        List<Promise>? done;
        lock (_sync)
        {
            if (!_joining.Remove(replica) || _inSync.Contains(replica))
            {
                return;
            }

            if (_links.Remove(replica, out var link))
            {
                link.Stop();
            }

            done = TakeDurableLocked();
        }

        Settle(done);
    }

    /// <summary>Stops every link; shipments still waiting fail (the state is closing).</summary>
    public async ValueTask DisposeAsync()
    {
        List<(long, Promise)> waiting;
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var link in _links.Values)
            {
                link.Stop();
            }

            _links.Clear();
            waiting = [.. _waiters];
            _waiters.Clear();
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var (_, promise) in waiting)
        {
            promise.TrySetException(new IOException($"The replication of {_resource} stopped before every replica had this record."));
        }

        _stop.Dispose();
    }

    // Under _sync: the waiters every in-sync replica now covers (all of them when none is in sync).
    private List<Promise>? TakeDurableLocked()
    {
        var durable = _nextSequence - 1;
        foreach (var replica in _inSync.Concat(_joining))
        {
            durable = Math.Min(durable, _links.TryGetValue(replica, out var link) ? link.AckedThrough : -1);
        }

        _acknowledged = Math.Max(_acknowledged, durable);

        List<Promise>? done = null;
        while (_waiters.TryPeek(out var head) && head.Sequence <= durable)
        {
            _waiters.Dequeue();
            (done ??= []).Add(head.Done);
        }

        return done;
    }

    private static void Settle(List<Promise>? done)
    {
        foreach (var promise in done ?? [])
        {
            promise.TrySetResult();
        }
    }

    private void OnAcked(Link link, long ackedThrough, long sentAt)
    {
        List<Promise>? done = null;
        var caughtUp = false;
        lock (_sync)
        {
            if (!_links.TryGetValue(link.Channel.Replica, out var current) || current != link)
            {
                return;
            }

            link.AckedThrough = Math.Max(link.AckedThrough, ackedThrough);

            // The lease runs from when the acknowledged shipment left, not from when its answer came.
            link.LeaseFrom = Math.Max(link.LeaseFrom, sentAt);
            var replica = link.Channel.Replica;
            if (!_inSync.Contains(replica) && !_joining.Contains(replica) && link.AckedThrough >= Math.Max(link.CatchUpTarget, _acknowledged))
            {
                // Caught up with everything acknowledged so far: from now on nothing is acknowledged without it, so
                // once the leader adds it, it holds every acknowledged record.
                _joining.Add(replica);
                caughtUp = true;
            }

            if (_inSync.Contains(replica) || _joining.Contains(replica))
            {
                done = TakeDurableLocked();
            }
        }

        Settle(done);
        if (caughtUp)
        {
            CaughtUp?.Invoke(link.Channel.Replica);
        }
    }

    private void OnFailed(Link link, Exception error)
    {
        if (error is ReplicaRefusedException { Reason: ReplicaRefusal.Stale } stale)
        {
            OnFenced(stale);
            return;
        }

        lock (_sync)
        {
            if (!_links.TryGetValue(link.Channel.Replica, out var current) || current != link)
            {
                return;
            }

            // Dropped; while it is in sync (or joining), nothing more is acknowledged until the configuration decides.
            _links.Remove(link.Channel.Replica);
        }

        ReplicaFailed?.Invoke(link.Channel.Replica, error);
    }

    private void OnFenced(ReplicaRefusedException stale)
    {
        ReplicationFencedException fenced;
        List<(long, Promise)> waiting;
        lock (_sync)
        {
            if (_fenced is not null)
            {
                return;
            }

            _fenced = fenced = new ReplicationFencedException($"{_self} no longer serves {_resource} (term {_version}): {stale.Message}", stale);
            foreach (var link in _links.Values)
            {
                link.Stop();
            }

            _links.Clear();
            waiting = [.. _waiters];
            _waiters.Clear();
        }

        foreach (var (_, promise) in waiting)
        {
            promise.TrySetException(fenced);
        }

        Fenced?.Invoke(fenced);
    }

    private sealed class Link(Replicator owner, IReplicaChannel channel, long catchUpTarget)
    {
        private readonly List<ReplicationEntry> _queue = [];
        private Promise? _wake;
        private bool _stopped;
        private bool _probe;

        public IReplicaChannel Channel { get; } = channel;

        // Guarded by the owner's _sync.
        public long AckedThrough { get; set; } = -1;

        public long CatchUpTarget { get; } = catchUpTarget;

        // Guarded by the owner's _sync: when the newest acknowledged shipment was sent (0: none yet).
        public long LeaseFrom { get; set; }

        // Under the owner's _sync: an idle link probes the replica now rather than at its next idle interval.
        public void ProbeNow()
        {
            _probe = true;
            var wake = _wake;
            _wake = null;
            wake?.TrySetResult();
        }


        // Under the owner's _sync.
        public void Enqueue(ReplicationEntry entry)
        {
            _queue.Add(entry);
            var wake = _wake;
            _wake = null;
            wake?.TrySetResult();
        }

        public void Start() => _ = Executor.Current.Run(RunAsync);

        public void Stop()
        {
            lock (owner._sync)
            {
                _stopped = true;
                _queue.Clear();
                var wake = _wake;
                _wake = null;
                wake?.TrySetResult();
            }
        }

        private async Task RunAsync()
        {
            // Started inside whichever request opened the primary or attached the replica: not part of its trace.
            System.Diagnostics.Activity.Current = null;
            var time = owner._options.TimeProvider;
            long? failingSince = null;
            while (true)
            {
                List<ReplicationEntry> batch;
                long version;
                Task? wait = null;
                lock (owner._sync)
                {
                    if (_stopped || owner._disposed)
                    {
                        return;
                    }

                    version = owner._version;
                    batch = TakeBatch();
                    if (batch.Count == 0 && !_probe)
                    {
                        _wake = new Promise();
                        wait = _wake.Task;
                    }
                }

                if (wait is not null)
                {
                    // Nothing to ship: wait for more, or probe the replica after a while (an idle replica that restarted
                    // has lost its place; it must be found out before the leader could promote it).
                    using (var idle = CancellationTokenSource.CreateLinkedTokenSource(owner._stop.Token))
                    {
                        var probe = Task.Delay(owner._options.IdleProbeInterval, time, idle.Token);
                        if (await Task.WhenAny(wait, probe).ConfigureAwait(false) == wait)
                        {
                            await idle.CancelAsync().ConfigureAwait(false);
                            lock (owner._sync)
                            {
                                if (!_probe)
                                {
                                    continue;
                                }
                            }
                        }
                    }

                    lock (owner._sync)
                    {
                        if (_stopped || owner._disposed)
                        {
                            return;
                        }

                        _wake = null;
                        version = owner._version;
                        batch = TakeBatch();
                    }
                }

                lock (owner._sync)
                {
                    _probe = false;
                }

                var sentAt = time.GetTimestamp();
                try
                {
                    var limit = batch.Exists(e => e.Kind != ReplicationEntryKind.Record) ? owner._options.SnapshotSendTimeout : owner._options.SendTimeout;
                    using var timeout = new CancellationTokenSource(limit, time);
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, owner._stop.Token);
                    var acked = await Channel.SendAsync(owner._resource, version, owner.Stream, batch, linked.Token).ConfigureAwait(false);
                    failingSince = null;
                    if (batch.Count > 0)
                    {
                        lock (owner._sync)
                        {
                            // Sent entries leave the queue only once acknowledged: a failed attempt sends them again.
                            var sent = batch[^1].Sequence;
                            _queue.RemoveAll(e => e.Sequence <= sent);
                        }
                    }

                    owner.OnAcked(this, acked, sentAt);
                }
                catch (ReplicaRefusedException refused)
                {
                    owner.OnFailed(this, refused);
                    return;
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    if (owner._stop.IsCancellationRequested)
                    {
                        return;
                    }

                    var now = time.GetTimestamp();
                    failingSince ??= now;
                    if (time.GetElapsedTime(failingSince.Value, now) >= owner._options.FailureTimeout)
                    {
                        owner.OnFailed(this, e);
                        return;
                    }

                    try
                    {
                        await Task.Delay(owner._options.RetryDelay, time, owner._stop.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            }
        }

        // Under the owner's _sync: the queued entries up to the batch size (at least one).
        private List<ReplicationEntry> TakeBatch()
        {
            var batch = new List<ReplicationEntry>();
            long bytes = 0;
            foreach (var entry in _queue)
            {
                if (batch.Count > 0 && bytes + entry.Payload.Length > owner._options.MaxBatchBytes)
                {
                    break;
                }

                batch.Add(entry);
                bytes += entry.Payload.Length;
            }

            return batch;
        }
    }
}
